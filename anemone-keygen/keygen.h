/*
 * anemone-keygen: one file per mode.  Each returns the exit status:
 * 0 done, 1 failed (the message is already printed).
 */
#ifndef ANEMONE_KEYGEN_H
#define ANEMONE_KEYGEN_H

enum keytype { KEY_WG, KEY_PSK, KEY_REPO, KEY_SSH };

int genkey(enum keytype type);			/* genkey.c */
int pubkey(void);				/* pubkey.c */
int sshkey(const char *path, const char *comment); /* sshkey.c */

/* Write the 44-character text of KEY and a newline to stdout; 0 or -1. */
int print_key(const unsigned char *key);	/* genkey.c */

#endif
