/*
 * The userspace WireGuard UAPI (wireguard-go and friends): a Unix socket
 * /var/run/wireguard/IFNAME.sock speaking "key=value" lines; a request
 * ends with an empty line, and so does every reply, whose last line is
 * "errno=N".  uapi_get() (wgdev.h) is built from the pieces below; the
 * parser works on memory so that it can be fuzzed without a socket.
 */
#ifndef ANEMONE_UAPI_H
#define ANEMONE_UAPI_H

#include <stddef.h>

#include "wg/wgdev.h"

#define UAPI_DIR "/var/run/wireguard"
#define UAPI_MAX_REPLY (32u << 20)	/* bytes; ~60,000 peers */
#define UAPI_TIMEOUT_SEC 30		/* per read or write; 10,000 peers on a busy machine need more than 5 */

/*
 * Connect to IFNAME's UAPI socket.  Returns the descriptor, or -1 with
 * lasterr set: "IFNAME: no such WireGuard interface" when no daemon
 * listens there, else the socket path and the system error.
 */
int uapi_open(const char *ifname);

/*
 * One exchange: send REQ (which must end with an empty line, "\n\n") to
 * IFNAME and read the reply up to and including its empty line.  *REPLY
 * (NUL-terminated, malloc'd, *REPLY_LEN bytes without the NUL) is the
 * caller's to free.  The reply's errno line is not interpreted here.
 * Returns 0 or -1 (lasterr).
 */
int uapi_call(const char *ifname, const char *req, char **reply,
    size_t *reply_len);

/*
 * uapi_get() in two halves, so that the caller can work while the daemon
 * writes its reply: uapi_get_start() sends "get=1" and returns the
 * connected socket (or -1, lasterr); uapi_get_finish() reads and parses
 * the reply into a new *DEV and closes FD either way.  0 or -1.
 */
int uapi_get_start(const char *ifname);
int uapi_get_finish(int fd, const char *ifname, struct wg_device **dev);

/*
 * Parse the reply BUF (LEN bytes) to "get=1" into DEV, which must be empty
 * (fresh from wgdev_new()).  Strict about what it understands, ignores
 * keys it does not know, requires the final "errno=N" line and the empty
 * line after it, and turns a non-zero errno into an error.  Errors name
 * ORIGIN (the socket path) and the reply line, never key material.  On
 * error DEV may hold part of the reply: free it.  Returns 0 or -1.
 */
int uapi_parse_get(const char *origin, const char *buf, size_t len,
    struct wg_device *dev);

/*
 * The "errno=N" line of a reply to a set request (or any reply): 0 when
 * N is 0, else -1 with lasterr naming IFNAME and strerror(N); -1 too when
 * the reply is malformed.
 */
int uapi_reply_errno(const char *ifname, const char *buf, size_t len);

#endif
