/*
 * Write a device as wg-quick wg0.conf text: [Interface] with Address,
 * ListenPort, PrivateKey, MTU, FwMark (each when set), then one [Peer] per
 * peer in order, preceded by "# NAME" when the peer has a name, with
 * PublicKey, PresharedKey, Endpoint, AllowedIPs, PersistentKeepalive.
 * The same device always gives the same bytes.
 */
#ifndef ANEMONE_WGCONF_WRITE_H
#define ANEMONE_WGCONF_WRITE_H

#include <stddef.h>

#include "wg/wgdev.h"

/*
 * Render DEV into guarded memory (it holds keys): *OUT, *LEN.  Free it
 * with secret_free().  0 or -1 (lasterr).
 */
int wgconf_write(const struct wg_device *dev, char **out, size_t *len);

#endif
