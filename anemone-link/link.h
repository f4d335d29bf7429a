/* anemone-link internals: apply a parsed config, delete, userspace. */
#ifndef ANEMONE_LINK_H
#define ANEMONE_LINK_H

#include <stdio.h>

#include "wgdev.h"

/*
 * Bring WANT->name to WANT's state.  DRY_RUN: only print the plan to OUT.
 * VERBOSE: print it while applying too.  0, or -1 with lasterr saying
 * what was applied and what was not.
 */
int link_apply(struct wg_device *want, int dry_run, int verbose, FILE *out);

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
