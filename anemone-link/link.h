/* anemone-link internals: apply a parsed config, delete, userspace. */
#ifndef ANEMONE_LINK_H
#define ANEMONE_LINK_H

#include <stdio.h>

#include "wg/wgdev.h"
#include "wg/wgsync.h"

/*
 * Bring WANT->name to WANT's state.  GET_FD: a reply to come from
 * link_prefetch(), or -1; it is consumed.  DRY_RUN: only print the plan
 * to OUT.  VERBOSE: print it while applying too.  0, or -1 with lasterr
 * saying what was applied and what was not.
 */
int link_apply(struct wg_device *want, int get_fd, int dry_run, int verbose,
    FILE *out);

/*
 * anemone-link -r (refresh.c): for each peer of WANT whose endpoint is a
 * host name and whose handshake on the live device is AGE seconds old or
 * more (or never happened), resolve the name again and set the endpoint
 * if the address changed.  Names that do not resolve are reported
 * through link_warn() and counted in *UNRESOLVED; their peers are left
 * alone.  DRY_RUN, VERBOSE, OUT: as for link_apply().  0 or -1.
 */
int link_refresh(struct wg_device *want, int64_t age, int dry_run,
    int verbose, FILE *out, size_t *unresolved);

/* Print a plan (a terminal gets aligned columns) and flush.  0 or -1. */
int link_print_plan(const struct plan *pl, FILE *out);

/* Print MSG as a warning (main.c). */
void link_warn(const char *msg);

/*
 * When IFNAME has a UAPI socket, ask the daemon for its state now
 * ("get=1") and return the socket, so that it writes its reply while the
 * config is parsed.  -1 otherwise (nothing to report: it is only a head
 * start).
 */
int link_prefetch(const char *ifname);

/* Take IFNAME down and delete it, stopping its userspace daemon. */
int link_delete(const char *ifname);

/* Start $WG_QUICK_USERSPACE_IMPLEMENTATION (wireguard-go) for IFNAME and
 * wait until its UAPI socket answers.  0 or -1. */
int userspace_start(const char *ifname);

/* Process id behind IFNAME's UAPI socket, or -1 (lasterr). */
int userspace_pid(const char *ifname);

/* Sleep 50 ms (polling loops). */
void link_nap(void);

#endif
