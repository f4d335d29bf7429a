/*
 * Sync: what it takes to bring a live WireGuard device (and its link's
 * addresses and routes) to the state a config describes, as a minimal
 * change set and as a plan a person can read.
 *
 * A plan is lines of tab-separated columns: ACTION OBJECT VALUE [DETAIL],
 * e.g. "add\tpeer\tKEY\tname=alice endpoint=192.0.2.2:51820".
 */
#ifndef ANEMONE_WGSYNC_H
#define ANEMONE_WGSYNC_H

#include <stddef.h>

#include "wg/wgdev.h"

struct plan {
	char *text;
	size_t len, cap;
	size_t n;			/* lines */
	int oom;
};

/* Append one line (printf-style, no newline). */
void plan_add(struct plan *pl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void plan_free(struct plan *pl);

/*
 * Diff WANT (a parsed config) against HAVE (the running device, or NULL
 * when it is new).  Peers are matched by public key: missing ones are
 * removed, new ones added, changed ones updated in place with only the
 * fields that differ, unchanged ones left out.  Device keys absent from
 * WANT are left alone; so is ListenPort 0 on an existing device.  HAVE's
 * allowed IPs get sorted.  *SET borrows from WANT: release it with
 * wgsync_free().  Lines go to PLAN when it is not NULL.  0 or -1.
 */
int wgsync_device(const struct wg_device *want, struct wg_device *have,
    struct wg_device **set, struct plan *plan);
void wgsync_free(struct wg_device *set);

/* 1 when SET (from wgsync_device) changes nothing, else 0. */
int wgsync_empty(const struct wg_device *set);

/*
 * The routes WANT needs: every allowed IP of every peer that no interface
 * address's subnet covers; default routes (/0) are not managed.  Sorted,
 * without duplicates.  malloc'd.  0 or -1.
 */
int wgsync_routes(const struct wg_device *want, struct wg_prefix **out,
    size_t *n);

/*
 * Sort both prefix lists and split them: *ADD (in WANT, not in HAVE) and
 * *DEL (in HAVE, not in WANT), malloc'd.  0 or -1.
 */
int wgsync_prefixes(struct wg_prefix *want, size_t nwant,
    struct wg_prefix *have, size_t nhave, struct wg_prefix **add,
    size_t *nadd, struct wg_prefix **del, size_t *ndel);

#endif
