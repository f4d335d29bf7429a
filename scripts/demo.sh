#!/usr/bin/env bash
# make demo: the two-node demo.  It does not exist yet; until it does, say
# what it will do and fail, rather than pretend.
cat >&2 <<'MSG'
make demo: not available yet.  When it is, it will, in two throw-away
network namespaces: make keys with anemone-keygen, write each node's
wg0.conf with anemone-render, bring the tunnel up with anemone-link, check
it with anemone-probe, then back up through the tunnel with anemone-push to
the other node's SFTP server and restore with anemone-pull.
Today: `make check` builds and tests what exists.
MSG
exit 1
