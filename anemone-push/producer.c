/*
 * anemone-push REPO NAME -- COMMAND...: run the producer of the stream
 * here, so that its exit status is known before the snapshot record is
 * written.  In a shell pipe that status never reaches anemone-push (set
 * -o pipefail only changes the pipeline's status, after the fact).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "push_tool.h"

int
producer_start(struct producer *pr, char **argv)
{
	int fds[2];
	pid_t pid;

	pr->name = argv[0];
	pr->pid = -1;
	pr->fd = -1;
	if (pipe2(fds, O_CLOEXEC) != 0)
		return fail_errno("pipe");
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return fail_errno("fork");
	}
	if (pid == 0) {
		/* the child: stdout into the pipe, default signals, exec */
		signal(SIGPIPE, SIG_DFL);
		if (dup2(fds[1], STDOUT_FILENO) < 0)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "anemone-push: %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	pr->pid = pid;
	pr->fd = fds[0];
	return 0;
}

int
producer_wait(struct producer *pr)
{
	int status;
	pid_t w;

	if (pr->fd >= 0) {
		close(pr->fd);	/* a producer still writing gets SIGPIPE */
		pr->fd = -1;
	}
	if (pr->pid < 0)
		return 0;
	while ((w = waitpid(pr->pid, &status, 0)) < 0 && errno == EINTR)
		;
	pr->pid = -1;
	if (w < 0)
		return fail_errno("%s: wait", pr->name);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return fail("the producer %s exited with status %d: the "
		    "stream may be incomplete, no snapshot written",
		    pr->name, WEXITSTATUS(status));
	return fail("the producer %s was killed by signal %d (%s): the "
	    "stream may be incomplete, no snapshot written", pr->name,
	    WTERMSIG(status), strsignal(WTERMSIG(status)));
}
