/*
 * anemone-keygen: one file per mode.  Each returns the exit status:
 * 0 done, 1 failed (the message is already printed).
 */
#ifndef ANEMONE_KEYGEN_H
#define ANEMONE_KEYGEN_H

#include <stddef.h>
#include <sys/types.h>

enum keytype { KEY_WG, KEY_PSK, KEY_REPO, KEY_SSH };

/* A new key on stdout, or (PATH not NULL) in the new file PATH, 0600. */
int genkey(enum keytype type, const char *path);	/* genkey.c */
int pubkey(void);				/* pubkey.c */
int sshkey(const char *path, const char *comment); /* sshkey.c */

/* Write the 44-character text of KEY and a newline to FD (NAME in
 * messages); 0 or -1 (printed). */
int print_key(int fd, const char *name, const unsigned char *key); /* genkey.c */

/* keyfile.c: create PATH with MODE, never replacing or following
 * anything: the descriptor, or -1 (printed). */
int key_file_create(const char *path, mode_t mode);
/* Write N bytes of S to FD, fsync and close it; 0 or -1 (printed, FD
 * closed).  The caller removes PATH on failure. */
int key_file_finish(int fd, const char *path, const char *s, size_t n);

#endif
