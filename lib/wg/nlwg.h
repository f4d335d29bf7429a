/*
 * Kernel WireGuard over generic netlink: the message building and parsing
 * behind nlwg_get() / nlwg_set() (wgdev.h), exposed so that they can be
 * tested and fuzzed without a kernel.
 */
#ifndef ANEMONE_NLWG_H
#define ANEMONE_NLWG_H

#include <libmnl/libmnl.h>
#include <stddef.h>
#include <stdint.h>

#include "wg/wgdev.h"

/* Receives each finished message; 0 to go on, -1 to stop (lasterr). */
typedef int (*nlwg_sink)(struct nlmsghdr *nlh, void *arg);

/*
 * Build the WG_CMD_SET_DEVICE messages for DEV (generic netlink family
 * FAMILY) in BUF (BUFSIZE bytes, reused for each message): device keys in
 * the first, then peers until the buffer is full; a peer whose allowed IPs
 * do not fit goes on in the next message.  Each message goes to SINK.
 * Returns the number of messages, or -1 (lasterr).
 */
int nlwg_build_set(const struct wg_device *dev, uint16_t family, void *buf,
    size_t bufsize, nlwg_sink sink, void *arg);

/*
 * Parse one WG_CMD_GET_DEVICE reply (or a SET request: the layout is the
 * same) into DEV.  A peer whose public key equals the last one parsed
 * continues it (the kernel splits long allowed-IP lists that way).
 * 0 or -1 (lasterr; DEV may hold part of the message).
 */
int nlwg_parse(const struct nlmsghdr *nlh, struct wg_device *dev);

#endif
