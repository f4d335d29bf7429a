/*
 * Userspace WireGuard, started the way wg-quick does: run
 * $WG_QUICK_USERSPACE_IMPLEMENTATION (default wireguard-go) with the
 * interface name, then wait for the UAPI socket to answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "link.h"
#include "wg/uapi.h"

#define START_TIMEOUT_MS 10000

void
link_nap(void)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/* The last non-empty line of BUF (LEN bytes), printable, in place. */
static const char *
last_line(char *buf, size_t len)
{
	char *s;

	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	s = strrchr(buf, '\n');
	s = s ? s + 1 : buf;
	for (char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return s;
}

int
userspace_start(const char *ifname)
{
	const char *prog = getenv("WG_QUICK_USERSPACE_IMPLEMENTATION");
	/* its stderr (a banner, or why it failed) is kept for errors,
	 * unless LOG_LEVEL asks the daemon to log there */
	int keep = getenv("LOG_LEVEL") == NULL, pfd[2] = { -1, -1 };
	int status, fd, exited = 0, rc = -1;
	char out[1024] = "";
	size_t got = 0;
	pid_t pid;

	if (prog == NULL || *prog == '\0')
		prog = "wireguard-go";
	if (keep && pipe2(pfd, O_CLOEXEC) < 0)
		return fail_errno("pipe");
	if ((pid = fork()) < 0) {
		fail_errno("fork");
		goto out;
	}
	if (pid == 0) {
		/* stdout to /dev/null: a daemon must not hold our pipe */
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
		}
		if (keep)
			dup2(pfd[1], STDERR_FILENO);
		execlp(prog, prog, ifname, (char *)NULL);
		_exit(127);
	}
	if (keep) {
		close(pfd[1]);
		pfd[1] = -1;
		fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	}
	for (int waited = 0; waited < START_TIMEOUT_MS; waited += 50) {
		ssize_t n;

		while (keep && got < sizeof(out) - 1 && (n = read(pfd[0],
		    out + got, sizeof(out) - 1 - got)) > 0)
			got += (size_t)n;
		if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
			exited = 1;
			if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
				fail("cannot run %s", prog);
				goto out;
			}
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				fail("%s failed (exit status %d)%s%s",
				    prog, WIFEXITED(status) ?
				    WEXITSTATUS(status) : 128 +
				    WTERMSIG(status), got ? ": " : "",
				    last_line(out, got));
				goto out;
			}
		}
		if ((fd = uapi_open(ifname)) >= 0) {
			close(fd);
			rc = 0;
			goto out;
		}
		link_nap();
	}
	if (!exited)
		kill(pid, SIGTERM);
	fail("%s: %s did not open %s/%s.sock within %d seconds", ifname,
	    prog, UAPI_DIR, ifname, START_TIMEOUT_MS / 1000);
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	return rc;
}

int
userspace_pid(const char *ifname)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd;

	if ((fd = uapi_open(ifname)) < 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		fail_errno("%s: SO_PEERCRED", ifname);
		close(fd);
		return -1;
	}
	close(fd);
	return cred.pid;
}
