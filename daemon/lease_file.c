/*
 * lease_file.c - a DHCP lease saved across restarts (lease_file.h)
 *
 * The text is written and read by the two pure functions below; the
 * I/O around them is small: read the whole file (at most
 * LEASE_FILE_MAX bytes) and parse it, or format it and write it to
 * DIR/.lease-IFNAME.tmp, fsync, rename over DIR/lease-IFNAME and fsync
 * the directory, so that a crash leaves the old file or the new one,
 * never half of one. The parser checks every line; the last one must
 * be "end", so a file cut short is refused rather than half-read.
 */
#include "lease_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void lease_file_from_lease(struct lease_file *lf, const char *ifname,
			   const struct dhcp_lease *lease, int64_t acquired)
{
	memset(lf, 0, sizeof(*lf));
	snprintf(lf->ifname, sizeof(lf->ifname), "%s", ifname);
	lf->addr = lease->addr;
	lf->prefix_len = lease->prefix_len;
	lf->server_id = lease->server_id;
	lf->lease_s = lease->lease_s;
	lf->t1_s = lease->t1_s;
	lf->t2_s = lease->t2_s;
	lf->acquired = acquired;
	lf->raw_len = lease->opt.raw_len <= DHCP_RAW_MAX ? lease->opt.raw_len
							 : DHCP_RAW_MAX;
	memcpy(lf->raw, lease->opt.raw, lf->raw_len);
}

/* ---- writing --------------------------------------------------------- */

struct out {
	char *buf;
	size_t cap, len;
	bool full;
};

static void put(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->full = true;
		return;
	}
	o->len += (size_t)n;
}

static void put_ipv4(struct out *o, const char *key, uint32_t a)
{
	put(o, "%s=%u.%u.%u.%u\n", key, a >> 24, (a >> 16) & 0xff,
	    (a >> 8) & 0xff, a & 0xff);
}

int lease_file_format(const struct lease_file *lf, char *buf, size_t cap)
{
	struct out o = {buf, cap, 0, cap == 0};
	size_t i = 0;

	put(&o, "# utcpd: the DHCP lease of %s, asked for again at start\n",
	    lf->ifname);
	put(&o, "version=%d\n", LEASE_FILE_VERSION);
	put(&o, "interface=%s\n", lf->ifname);
	put_ipv4(&o, "address", lf->addr);
	put(&o, "prefix=%u\n", lf->prefix_len);
	put_ipv4(&o, "server", lf->server_id);
	put(&o, "lease_s=%u\n", lf->lease_s);
	put(&o, "t1_s=%u\n", lf->t1_s);
	put(&o, "t2_s=%u\n", lf->t2_s);
	put(&o, "acquired=%lld\n", (long long)lf->acquired);
	/* Every option as received: option=CODE:HEX */
	while (i + 2 <= lf->raw_len) {
		uint8_t code = lf->raw[i], len = lf->raw[i + 1];

		if (i + 2 + len > lf->raw_len)
			break; /* cannot happen with the codec's raw */
		put(&o, "option=%u:", code);
		for (size_t j = 0; j < len; j++)
			put(&o, "%02x", lf->raw[i + 2 + j]);
		put(&o, "\n");
		i += 2u + len;
	}
	put(&o, "end\n");
	if (o.full)
		return -ENOSPC;
	return (int)o.len;
}

/* ---- reading --------------------------------------------------------- */

static int bad(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A decimal number in [0, max], all of s. */
static int parse_num(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > max / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_addr(const char *s, uint32_t *out)
{
	uint64_t part;
	uint32_t a = 0;
	char buf[4];

	for (int i = 0; i < 4; i++) {
		size_t n = strspn(s, "0123456789");

		if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
			return -EINVAL;
		memcpy(buf, s, n);
		buf[n] = '\0';
		if (parse_num(buf, 255, &part) < 0)
			return -EINVAL;
		a = a << 8 | (uint32_t)part;
		s += n;
		if (i < 3 && *s++ != '.')
			return -EINVAL;
	}
	if (*s)
		return -EINVAL;
	*out = a;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* option=CODE:HEX appended to lf->raw. */
static int parse_option(const char *v, struct lease_file *lf)
{
	const char *colon = strchr(v, ':');
	char code_s[4];
	uint64_t code;
	size_t hex_len, len;

	if (!colon || colon - v > 3)
		return -EINVAL;
	memcpy(code_s, v, (size_t)(colon - v));
	code_s[colon - v] = '\0';
	if (parse_num(code_s, 254, &code) < 0 || code == 0)
		return -EINVAL;
	hex_len = strlen(colon + 1);
	len = hex_len / 2;
	if (hex_len % 2 || len > 255 ||
	    (size_t)lf->raw_len + 2 + len > DHCP_RAW_MAX)
		return -EINVAL;
	lf->raw[lf->raw_len] = (uint8_t)code;
	lf->raw[lf->raw_len + 1] = (uint8_t)len;
	for (size_t i = 0; i < len; i++) {
		int hi = hexval(colon[1 + 2 * i]),
		    lo = hexval(colon[2 + 2 * i]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		lf->raw[lf->raw_len + 2 + i] = (uint8_t)(hi * 16 + lo);
	}
	lf->raw_len = (uint16_t)(lf->raw_len + 2 + len);
	return 0;
}

enum lease_key {
	K_VERSION,
	K_INTERFACE,
	K_ADDRESS,
	K_PREFIX,
	K_SERVER,
	K_LEASE,
	K_T1,
	K_T2,
	K_ACQUIRED,
	K_COUNT
};

static const char *const lease_keys[K_COUNT] = {
    "version", "interface", "address", "prefix",   "server",
    "lease_s", "t1_s",	    "t2_s",    "acquired",
};

/* One key=value line (NUL-terminated, no newline). */
static int parse_line(char *line, int lineno, struct lease_file *lf,
		      unsigned *seen, char *why, size_t whylen)
{
	char *eq = strchr(line, '=');
	const char *v;
	uint64_t n;
	int k;

	if (!eq)
		return bad(why, whylen, "line %d: not key=value", lineno);
	*eq = '\0';
	v = eq + 1;
	if (strcmp(line, "option") == 0) {
		if (parse_option(v, lf) < 0)
			return bad(why, whylen, "line %d: bad option", lineno);
		return 0;
	}
	for (k = 0; k < K_COUNT; k++)
		if (strcmp(line, lease_keys[k]) == 0)
			break;
	if (k == K_COUNT)
		return bad(why, whylen, "line %d: unknown key \"%.32s\"",
			   lineno, line);
	if (*seen & (1u << k))
		return bad(why, whylen, "line %d: %s given twice", lineno,
			   line);
	*seen |= 1u << k;
	switch (k) {
	case K_VERSION:
		if (parse_num(v, 1000, &n) < 0 || n != LEASE_FILE_VERSION)
			goto bad_value;
		return 0;
	case K_INTERFACE:
		if (!*v || strlen(v) >= sizeof(lf->ifname))
			goto bad_value;
		memcpy(lf->ifname, v, strlen(v) + 1);
		return 0;
	case K_ADDRESS:
	case K_SERVER:
		if (parse_addr(v, k == K_ADDRESS ? &lf->addr : &lf->server_id) <
		    0)
			goto bad_value;
		return 0;
	case K_PREFIX:
		if (parse_num(v, 32, &n) < 0 || n == 0)
			goto bad_value;
		lf->prefix_len = (uint8_t)n;
		return 0;
	case K_LEASE:
	case K_T1:
	case K_T2:
		if (parse_num(v, UINT32_MAX, &n) < 0)
			goto bad_value;
		*(k == K_LEASE ? &lf->lease_s
		  : k == K_T1  ? &lf->t1_s
			       : &lf->t2_s) = (uint32_t)n;
		return 0;
	case K_ACQUIRED:
		if (parse_num(v, INT64_MAX, &n) < 0)
			goto bad_value;
		lf->acquired = (int64_t)n;
		return 0;
	}
bad_value:
	return bad(why, whylen, "line %d: bad %s \"%.32s\"", lineno,
		   lease_keys[k], v);
}

int lease_file_parse(const char *text, size_t len, struct lease_file *out,
		     char *why, size_t whylen)
{
	char line[2 * 255 + 16];
	unsigned seen = 0;
	bool ended = false;
	size_t pos = 0;
	int lineno = 0;

	memset(out, 0, sizeof(*out));
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n;

		lineno++;
		if (!nl)
			return bad(why, whylen,
				   "line %d: no newline (truncated)", lineno);
		n = (size_t)(nl - (text + pos));
		if (ended)
			return bad(why, whylen, "line %d: after \"end\"",
				   lineno);
		if (n >= sizeof(line))
			return bad(why, whylen, "line %d: too long", lineno);
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + 1;
		if (memchr(line, '\0', n))
			return bad(why, whylen, "line %d: a NUL byte", lineno);
		if (line[0] == '#' || n == 0)
			continue;
		if (strcmp(line, "end") == 0) {
			ended = true;
			continue;
		}
		if (parse_line(line, lineno, out, &seen, why, whylen) < 0)
			return -EINVAL;
	}
	if (!ended)
		return bad(why, whylen, "no \"end\" line (truncated)");
	for (int k = 0; k < K_COUNT; k++)
		if (!(seen & (1u << k)))
			return bad(why, whylen, "no %s", lease_keys[k]);
	return 0;
}

bool lease_file_expired(const struct lease_file *lf, int64_t now)
{
	if (lf->lease_s == DHCP_INFINITE || now < lf->acquired)
		return false; /* (acquired later than now: the clock went back)
			       */
	/* now - acquired as unsigned: acquired comes from the file, up to
	 * INT64_MAX, and acquired + lease_s may not fit. */
	return (uint64_t)now - (uint64_t)lf->acquired >= lf->lease_s;
}

/* ---- the files ------------------------------------------------------- */

static int lease_path(char *buf, size_t cap, const char *dir,
		      const char *ifname, const char *prefix,
		      const char *suffix)
{
	int n =
	    snprintf(buf, cap, "%s/%slease-%s%s", dir, prefix, ifname, suffix);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int lease_file_save(const char *dir, const struct lease_file *lf)
{
	char path[LEASE_FILE_PATH_MAX], tmp[LEASE_FILE_PATH_MAX];
	char *text = malloc(LEASE_FILE_MAX);
	int fd = -1, ret, len;
	size_t done = 0;

	if (!text)
		return -ENOMEM;
	ret = lease_path(path, sizeof(path), dir, lf->ifname, "", "");
	if (ret == 0)
		ret =
		    lease_path(tmp, sizeof(tmp), dir, lf->ifname, ".", ".tmp");
	if (ret < 0)
		goto out;
	len = lease_file_format(lf, text, LEASE_FILE_MAX);
	if (len < 0) {
		ret = len;
		goto out;
	}
	/* A stale temporary file (a crash mid-write) goes first, and the
	 * new one must be ours alone: O_EXCL refuses a name planted as a
	 * link to something else. */
	if (unlink(tmp) < 0 && errno != ENOENT) {
		ret = -errno;
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	while (done < (size_t)len) {
		ssize_t n = write(fd, text + done, (size_t)len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto out_unlink;
		}
		done += (size_t)n;
	}
	if (fchmod(fd, 0600) < 0 || fsync(fd) < 0) {
		ret = -errno;
		goto out_unlink;
	}
	if (close(fd) < 0) {
		fd = -1;
		ret = -errno;
		goto out_unlink;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		ret = -errno;
		goto out_unlink;
	}
	/* The rename itself is durable once the directory is. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
		fd = -1;
	}
	ret = 0;
	goto out;
out_unlink:
	unlink(tmp);
out:
	if (fd >= 0)
		close(fd);
	free(text);
	return ret;
}

int lease_file_load(const char *dir, const char *ifname, struct lease_file *lf,
		    char *why, size_t whylen)
{
	char path[LEASE_FILE_PATH_MAX];
	char *text = malloc(LEASE_FILE_MAX + 1);
	size_t len = 0;
	int fd = -1, ret;

	if (!text)
		return -ENOMEM;
	ret = lease_path(path, sizeof(path), dir, ifname, "", "");
	if (ret < 0)
		goto out;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, text + len, LEASE_FILE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > LEASE_FILE_MAX) {
			ret = bad(why, whylen, "longer than %d bytes",
				  LEASE_FILE_MAX);
			goto out;
		}
	}
	ret = lease_file_parse(text, len, lf, why, whylen);
	if (ret == 0 && strcmp(lf->ifname, ifname) != 0)
		ret = bad(why, whylen, "the lease of interface %s", lf->ifname);
out:
	if (fd >= 0)
		close(fd);
	free(text);
	return ret;
}

int lease_file_remove(const char *dir, const char *ifname)
{
	char path[LEASE_FILE_PATH_MAX];
	int ret = lease_path(path, sizeof(path), dir, ifname, "", "");

	if (ret < 0)
		return ret;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}
