/*
 * wire_layout.h - ipc.h's layouts as data, for the ipc tests
 *
 * Each *_LAYOUT X-macro becomes a table of {kind, name, size} rows in
 * wire order, so that a test can find a field's offset by its name
 * (and poke a bad value there) instead of counting bytes by hand, and
 * so that the documentation test can walk every field.
 */
#ifndef UTCP_TEST_WIRE_LAYOUT_H
#define UTCP_TEST_WIRE_LAYOUT_H

#include <check.h>
#include <string.h>

#include "ipc.h"

struct wire_field {
	const char *kind;
	const char *name;
	unsigned size; /* strings: the length byte */
};

struct wire_layout {
	const char *name;
	const struct wire_field *fields;
	size_t nfields;
};

#define WIRE_FIELD(kind, name) {#kind, #name, IPC_WIRE_##kind},
#define WIRE_FIELDS(LAYOUT)                                                    \
	((const struct wire_field[]){LAYOUT(WIRE_FIELD, WIRE_FIELD)})
/* The table of one layout (file scope: the rows are static). */
#define WIRE_LAYOUT(LAYOUT)                                                    \
	{                                                                      \
#LAYOUT, WIRE_FIELDS(LAYOUT),                                  \
		    sizeof(WIRE_FIELDS(LAYOUT)) / sizeof(struct wire_field)    \
	}

static const struct wire_layout wire_tcp_opts =
    WIRE_LAYOUT(IPC_TCP_OPTS_LAYOUT);

/*
 * The offset and size of field `path` in layout l: a field's name, or
 * "opts.<name>" for one inside the options block. Fails the test when
 * there is none.
 */
static inline size_t wire_offset(const struct wire_layout *l, const char *path,
				 unsigned *size)
{
	const char *dot = strchr(path, '.');
	size_t len = dot ? (size_t)(dot - path) : strlen(path);
	size_t offset = 0;

	for (size_t i = 0; i < l->nfields; i++) {
		const struct wire_field *f = &l->fields[i];

		if (strlen(f->name) == len &&
		    strncmp(f->name, path, len) == 0) {
			if (dot)
				return offset + wire_offset(&wire_tcp_opts,
							    dot + 1, size);
			*size = f->size;
			return offset;
		}
		offset += f->size;
	}
	ck_abort_msg("%s has no field %s", l->name, path);
	return 0;
}

/* Writes `value` big-endian over field `path` of the body at p. */
static inline void wire_poke(uint8_t *p, const struct wire_layout *l,
			     const char *path, uint64_t value)
{
	unsigned size;
	size_t offset = wire_offset(l, path, &size);

	for (unsigned i = 0; i < size; i++)
		p[offset + i] = (uint8_t)(value >> (8 * (size - 1 - i)));
}

#endif
