/*
 * utcp-run.c - runs an unmodified program on utcpd (utcp-run(1))
 *
 * utcp-run [-S PATH] [--ipv6=kernel|fail] [--loopback=kernel|fail] --
 *          PROGRAM ARGS...
 *
 * It sets the environment for preload.c's library and executes
 * PROGRAM: LD_PRELOAD gains the library after what was there (so a
 * library the user preloads, such as a sanitizer's runtime that must
 * come first, stays first, and an interposer of its own reaches ours
 * through RTLD_NEXT),
 * UTCPD_SOCKET the daemon's socket when -S gives one, UTCP_RUN_IPV6 the
 * --ipv6 choice, UTCP_RUN_LOOPBACK the --loopback one. The library is
 * found, in order, at $UTCP_RUN_PRELOAD,
 * beside utcp-run's own executable (a build tree), and where meson
 * installed it.
 *
 * A statically linked program cannot be preloaded: the dynamic loader
 * never runs. So PROGRAM is looked up in PATH as execvp() would, and
 * refused with a message unless it is an ELF with a program
 * interpreter (PT_INTERP); a script's interpreter (#!) is checked
 * instead. Whatever is not an ELF or a script is left to execvp().
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_opt.h"

#ifndef UTCP_RUN_PRELOAD_PATH
#define UTCP_RUN_PRELOAD_PATH "/usr/local/lib/utcp/libutcp-run.so"
#endif
#define PRELOAD_NAME "libutcp-run.so"

#ifndef UTCP_VERSION
#define UTCP_VERSION "unknown"
#endif

static void usage(void)
{
	printf("usage: utcp-run [-S PATH] [--ipv6=kernel|fail] "
	       "[--loopback=kernel|fail] [--] PROGRAM [ARGS...]\n"
	       "       utcp-run -h|--help | -V|--version\n"
	       "Runs PROGRAM with its IPv4 sockets on utcpd.\n"
	       "  -S, --socket PATH  the daemon's control socket\n"
	       "  --ipv6=kernel|fail IPv6 sockets: the kernel's (default) "
	       "or EAFNOSUPPORT\n"
	       "  --loopback=kernel|fail\n"
	       "                     127.0.0.0/8: the kernel's (default) or "
	       "ENETUNREACH\n"
	       "See utcp-run(1).\n");
}

/* A bad command line: `what`, one line; returns exit status 2. */
static int usage_error(const char *what)
{
	fprintf(stderr, "utcp-run: %s; try 'utcp-run --help'\n", what);
	return 2;
}

/* Finds PROGRAM as execvp() would: into path (PATH_MAX). Returns true
 * when found. */
static bool find_program(const char *prog, char *path)
{
	const char *dirs = getenv("PATH");

	if (strchr(prog, '/')) {
		snprintf(path, PATH_MAX, "%s", prog);
		return access(path, X_OK) == 0;
	}
	if (!dirs)
		dirs = "/usr/local/bin:/usr/bin:/bin";
	while (*dirs) {
		size_t n = strcspn(dirs, ":");

		if (snprintf(path, PATH_MAX, "%.*s/%s", (int)n, n ? dirs : ".",
			     prog) < PATH_MAX &&
		    access(path, X_OK) == 0)
			return true;
		dirs += n;
		if (*dirs == ':')
			dirs++;
	}
	return false;
}

enum kind { KIND_OTHER, KIND_DYNAMIC, KIND_STATIC, KIND_SCRIPT };

/* What the file at path is; a script's interpreter goes into interp. */
static enum kind program_kind(const char *path, char *interp)
{
	unsigned char buf[256];
	enum kind kind = KIND_OTHER;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return KIND_OTHER;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n >= 2 && buf[0] == '#' && buf[1] == '!') {
		size_t i = 2, j;

		buf[n] = 0;
		while (buf[i] == ' ' || buf[i] == '\t')
			i++;
		j = i;
		while (buf[j] && buf[j] != ' ' && buf[j] != '\t' &&
		       buf[j] != '\n')
			j++;
		snprintf(interp, PATH_MAX, "%.*s", (int)(j - i), buf + i);
		kind = KIND_SCRIPT;
	} else if (n >= (ssize_t)sizeof(Elf32_Ehdr) &&
		   memcmp(buf, ELFMAG, SELFMAG) == 0) {
		bool is64 = buf[EI_CLASS] == ELFCLASS64;
		uint64_t phoff;
		unsigned phnum, phentsize;

		if (is64) {
			Elf64_Ehdr eh;

			memcpy(&eh, buf, sizeof(eh));
			phoff = eh.e_phoff;
			phnum = eh.e_phnum;
			phentsize = eh.e_phentsize;
		} else {
			Elf32_Ehdr eh;

			memcpy(&eh, buf, sizeof(eh));
			phoff = eh.e_phoff;
			phnum = eh.e_phnum;
			phentsize = eh.e_phentsize;
		}
		kind = KIND_STATIC;
		for (unsigned i = 0; i < phnum; i++) {
			uint32_t type;

			if (pread(fd, &type, sizeof(type),
				  (off_t)(phoff + (uint64_t)i * phentsize)) !=
			    sizeof(type))
				break;
			if (type == PT_INTERP) {
				kind = KIND_DYNAMIC;
				break;
			}
		}
	}
	close(fd);
	return kind;
}

/* Where the preload library is (into path). Returns true when found. */
static bool find_preload(char *path)
{
	const char *env = getenv("UTCP_RUN_PRELOAD");
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(path, PATH_MAX, "%s", env);
		return access(path, R_OK) == 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;

		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash &&
		    snprintf(path, PATH_MAX, "%.*s/%s", (int)(slash - self),
			     self, PRELOAD_NAME) < PATH_MAX &&
		    access(path, R_OK) == 0)
			return true;
	}
	snprintf(path, PATH_MAX, "%s", UTCP_RUN_PRELOAD_PATH);
	return access(path, R_OK) == 0;
}

/* --NAME=kernel|fail: puts the choice in the environment variable env.
 * Returns false (said on stderr) for any other value. */
static bool set_mode(const char *name, const char *env, const char *value)
{
	if (strcmp(value, "kernel") != 0 && strcmp(value, "fail") != 0) {
		fprintf(stderr,
			"utcp-run: --%s is kernel or fail; try 'utcp-run "
			"--help'\n",
			name);
		return false;
	}
	setenv(env, value, 1);
	return true;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 'S'},
	    {"ipv6", required_argument, NULL, '6'},
	    {"loopback", required_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	char prog[PATH_MAX], interp[PATH_MAX], preload[PATH_MAX];
	char what[80], letter[3];
	const char *old;
	char *value;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:S:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'S':
			setenv("UTCPD_SOCKET", optarg, 1);
			break;
		case '6':
			if (!set_mode("ipv6", "UTCP_RUN_IPV6", optarg))
				return 2;
			break;
		case 'l':
			if (!set_mode("loopback", "UTCP_RUN_LOOPBACK", optarg))
				return 2;
			break;
		case 'h':
			usage();
			return fflush(stdout) == 0 ? 0 : 1;
		case 'V':
			printf("utcp-run %s\n", UTCP_VERSION);
			return fflush(stdout) == 0 ? 0 : 1;
		case ':':
		default:
			snprintf(what, sizeof(what),
				 c == ':' ? "option '%.40s' needs a value"
					  : "unknown option '%.40s'",
				 c == ':'
				     ? argv[optind - 1]
				     : refused_option("ShV", argv, letter));
			return usage_error(what);
		}
	}
	if (optind >= argc)
		return usage_error("a program to run is needed");
	if (!find_program(argv[optind], prog)) {
		fprintf(stderr, "utcp-run: %s: command not found\n",
			argv[optind]);
		return 127;
	}
	switch (program_kind(prog, interp)) {
	case KIND_STATIC:
		fprintf(stderr,
			"utcp-run: %s is statically linked: its sockets "
			"cannot be taken to utcpd (only dynamically linked "
			"programs can)\n",
			prog);
		return 126;
	case KIND_SCRIPT:
		if (program_kind(interp, interp) == KIND_STATIC) {
			fprintf(stderr,
				"utcp-run: %s runs %s, which is statically "
				"linked: its sockets cannot be taken to "
				"utcpd\n",
				prog, interp);
			return 126;
		}
		break;
	default:
		break;
	}
	if (!find_preload(preload)) {
		fprintf(stderr, "utcp-run: the preload library %s is missing\n",
			preload);
		return 127;
	}
	old = getenv("LD_PRELOAD");
	if (old && *old) {
		if (asprintf(&value, "%s:%s", old, preload) < 0) {
			fprintf(stderr, "utcp-run: out of memory\n");
			return 1;
		}
	} else {
		value = preload;
	}
	setenv("LD_PRELOAD", value, 1);
	execv(prog, argv + optind);
	fprintf(stderr, "utcp-run: %s: %s\n", prog, strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
