/*
 * preload_exec.c - utcp-run: exec and posix_spawn carry the table of
 * sockets to the new image in UTCP_RUN_FDS
 *
 * See preload.c's theory of operation, "exec".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <spawn.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "preload.h"

static int (*real_execve)(const char *, char *const[], char *const[]);
static int (*real_execvpe)(const char *, char *const[], char *const[]);
static int (*real_posix_spawn)(pid_t *, const char *,
			       const posix_spawn_file_actions_t *,
			       const posix_spawnattr_t *, char *const[],
			       char *const[]);
static int (*real_posix_spawnp)(pid_t *, const char *,
				const posix_spawn_file_actions_t *,
				const posix_spawnattr_t *, char *const[],
				char *const[]);

static void inherit_table(void);

void preload_exec_init(void)
{
	real_execve = next_symbol("execve");
	real_execvpe = next_symbol("execvpe");
	real_posix_spawn = next_symbol("posix_spawn");
	real_posix_spawnp = next_symbol("posix_spawnp");
	inherit_table();
}

/* Whether fd is a socket of the kind an entry in `state` needs. */
static bool still_ours(int fd, enum usock_state state)
{
	int domain = 0, type = 0;
	socklen_t len = sizeof(int);
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode) ||
	    real_getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 ||
	    real_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type,
			    &(socklen_t){sizeof(int)}) != 0)
		return false;
	switch (state) {
	case USOCK_PENDING:
		return domain == AF_INET && type == SOCK_STREAM;
	case USOCK_UDP_NEW:
		return domain == AF_INET && type == SOCK_DGRAM;
	case USOCK_LISTENING:
	case USOCK_UDP: /* the state says which SEQPACKET channel it is */
		return domain == AF_UNIX && type == SOCK_SEQPACKET;
	default:
		return domain == AF_UNIX && type == SOCK_STREAM;
	}
}

/* Reads UTCP_RUN_FDS (an exec'ing image's table) into the table. */
static void inherit_table(void)
{
	const char *p = getenv(PRELOAD_FDS_ENV);

	while (p && *p) {
		unsigned fd, state, laddr, lport, raddr, rport;
		struct usock s = {.id = -1};
		int id, n = 0;

		if (sscanf(p, "%u:%u:%d:%x:%u:%x:%u%n", &fd, &state, &id,
			   &laddr, &lport, &raddr, &rport, &n) != 7 ||
		    n == 0)
			break;
		p += n;
		if (*p == ',')
			p++;
		if (fd >= PRELOAD_FDS_MAX || state > USOCK_STATE_LAST ||
		    lport > 65535 || rport > 65535 ||
		    !still_ours((int)fd, (enum usock_state)state))
			continue;
		s.state = (enum usock_state)state;
		s.id = id;
		s.local.sin_family = s.remote.sin_family = AF_INET;
		s.local.sin_addr.s_addr = htonl(laddr);
		s.local.sin_port = htons((uint16_t)lport);
		s.remote.sin_addr.s_addr = htonl(raddr);
		s.remote.sin_port = htons((uint16_t)rport);
		s.bound = s.state == USOCK_PENDING && lport != 0;
		if (s.state == USOCK_UDP && rport == 0) {
			/* bind()'s or an implicit bind's: taken as bind()'s */
			s.bound = lport != 0;
			s.bind_addr = s.local.sin_addr;
		}
		s.port_chosen = s.bound;
		s.opts_unknown = true;
		table_store((int)fd, &s);
	}
	unsetenv(PRELOAD_FDS_ENV);
}

/* Memory for an exec's environment: mmap()ed, since execve() may run in
 * a vfork() child, where malloc() is not safe. Freed when the exec
 * failed (it is gone with the image when it succeeded). */
struct exec_env {
	char **envp; /* the environment to pass */
	void *mem;
	size_t len;
};

/* Builds e->envp: envp without UTCP_RUN_FDS, plus UTCP_RUN_FDS for the
 * entries of descriptors that are not close-on-exec. When there are
 * none (or memory is short), e->envp is envp itself. */
static void exec_env_make(struct exec_env *e, char *const envp[])
{
	size_t n_env = 0, n_fds = 0, k = 0;
	size_t envlen = strlen(PRELOAD_FDS_ENV);
	char *text, *q;

	e->envp = (char **)envp;
	e->mem = NULL;
	pthread_mutex_lock(&table_lock);
	for (int fd = 0; fd < PRELOAD_FDS_MAX; fd++) {
		int fl;

		if (!table[fd])
			continue;
		fl = fcntl(fd, F_GETFD);
		if (fl >= 0 && !(fl & FD_CLOEXEC))
			n_fds++;
	}
	if (n_fds == 0) {
		pthread_mutex_unlock(&table_lock);
		return;
	}
	while (envp && envp[n_env])
		n_env++;
	e->len = (n_env + 2) * sizeof(char *) + envlen + 2 +
		 n_fds * PRELOAD_ENTRY_TEXT_MAX;
	e->mem = mmap(NULL, e->len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (e->mem == MAP_FAILED) {
		e->mem = NULL;
		pthread_mutex_unlock(&table_lock);
		return;
	}
	e->envp = e->mem;
	text = (char *)(e->envp + n_env + 2);
	q = text + snprintf(text, envlen + 2, "%s=", PRELOAD_FDS_ENV);
	/* at most the n_fds counted: room was made for no more */
	for (int fd = 0; fd < PRELOAD_FDS_MAX && n_fds > 0; fd++) {
		struct usock *s = table[fd];
		int fl;

		if (!s)
			continue;
		fl = fcntl(fd, F_GETFD);
		if (fl < 0 || (fl & FD_CLOEXEC))
			continue;
		n_fds--;
		/* in the new image too (this table is the parent's after a
		 * vfork() or for posix_spawn(), which run no fork handlers) */
		if (s->state == USOCK_CONNECTED || s->state == USOCK_CONNECTING)
			s->shared = true;
		q += snprintf(
		    q, PRELOAD_ENTRY_TEXT_MAX, "%s%d:%u:%d:%x:%u:%x:%u",
		    q[-1] == '=' ? "" : ",", fd, (unsigned)s->state, s->id,
		    ntohl(s->local.sin_addr.s_addr), ntohs(s->local.sin_port),
		    ntohl(s->remote.sin_addr.s_addr),
		    ntohs(s->remote.sin_port));
	}
	pthread_mutex_unlock(&table_lock);
	for (size_t i = 0; i < n_env; i++)
		if (strncmp(envp[i], PRELOAD_FDS_ENV, envlen) != 0 ||
		    envp[i][envlen] != '=')
			e->envp[k++] = envp[i];
	e->envp[k++] = text;
	e->envp[k] = NULL;
}

static void exec_env_free(struct exec_env *e)
{
	if (e->mem)
		munmap(e->mem, e->len);
}

/* Runs the real exec fn with envp and our sockets' list added
 * (exec_env_make()); gives that memory back when the exec failed,
 * errno kept. */
static int exec_with_env(int (*fn)(const char *, char *const[], char *const[]),
			 const char *path, char *const argv[],
			 char *const envp[])
{
	struct exec_env e;
	int ret, err;

	exec_env_make(&e, envp);
	ret = fn(path, argv, e.envp);
	err = errno;
	exec_env_free(&e);
	errno = err;
	return ret;
}

int execve(const char *path, char *const argv[], char *const envp[])
{
	PRELOAD_READY();
	return exec_with_env(real_execve, path, argv, envp);
}

int execv(const char *path, char *const argv[])
{
	PRELOAD_READY();
	return execve(path, argv, environ);
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
	PRELOAD_READY();
	return exec_with_env(real_execvpe, file, argv, envp);
}

int execvp(const char *file, char *const argv[])
{
	PRELOAD_READY();
	return execvpe(file, argv, environ);
}

/* execl's arguments as an argv in mmap()ed memory (vfork-safe), up to
 * the NULL; with `envp`, the pointer after the NULL goes there. NULL
 * with errno set when memory is short. */
static char **list_argv(const char *arg0, va_list ap, size_t *len, char ***envp)
{
	size_t n = 1;
	va_list count;
	char **argv;

	va_copy(count, ap);
	while (va_arg(count, char *))
		n++;
	va_end(count);
	*len = (n + 1) * sizeof(char *);
	argv = mmap(NULL, *len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (argv == MAP_FAILED)
		return NULL;
	argv[0] = (char *)arg0;
	for (size_t i = 1; i <= n; i++)
		argv[i] = va_arg(ap, char *); /* the last is the NULL */
	if (envp)
		*envp = va_arg(ap, char **);
	return argv;
}

/* Runs fn (execve or execvpe) with an argv of list_argv(), then gives
 * its memory back (only reached when the exec failed), errno kept. */
static int exec_list(int (*fn)(const char *, char *const[], char *const[]),
		     const char *path, char **argv, size_t len, char **envp)
{
	int ret, err;

	if (!argv)
		return -1;
	ret = fn(path, argv, envp);
	err = errno;
	munmap(argv, len);
	errno = err;
	return ret;
}

int execl(const char *path, const char *arg, ...)
{
	PRELOAD_READY();
	size_t len = 0;
	char **argv;
	va_list ap;

	va_start(ap, arg);
	argv = list_argv(arg, ap, &len, NULL);
	va_end(ap);
	return exec_list(execve, path, argv, len, environ);
}

int execlp(const char *file, const char *arg, ...)
{
	PRELOAD_READY();
	size_t len = 0;
	char **argv;
	va_list ap;

	va_start(ap, arg);
	argv = list_argv(arg, ap, &len, NULL);
	va_end(ap);
	return exec_list(execvpe, file, argv, len, environ);
}

int execle(const char *path, const char *arg, ...)
{
	PRELOAD_READY();
	char **argv, **envp = NULL;
	size_t len = 0;
	va_list ap;

	va_start(ap, arg);
	argv = list_argv(arg, ap, &len, &envp);
	va_end(ap);
	return exec_list(execve, path, argv, len, envp);
}

int posix_spawn(pid_t *pid, const char *path,
		const posix_spawn_file_actions_t *actions,
		const posix_spawnattr_t *attr, char *const argv[],
		char *const envp[])
{
	PRELOAD_READY();
	struct exec_env e;
	int ret;

	exec_env_make(&e, envp);
	ret = real_posix_spawn(pid, path, actions, attr, argv, e.envp);
	exec_env_free(&e);
	return ret;
}

int posix_spawnp(pid_t *pid, const char *file,
		 const posix_spawn_file_actions_t *actions,
		 const posix_spawnattr_t *attr, char *const argv[],
		 char *const envp[])
{
	PRELOAD_READY();
	struct exec_env e;
	int ret;

	exec_env_make(&e, envp);
	ret = real_posix_spawnp(pid, file, actions, attr, argv, e.envp);
	exec_env_free(&e);
	return ret;
}
