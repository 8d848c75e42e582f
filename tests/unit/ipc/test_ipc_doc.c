/*
 * test_ipc_doc.c - docs/ipc.md's byte layouts are the code's
 *
 * docs/ipc.md is the protocol's specification, and ipc.h's *_LAYOUT
 * lists are the code's. This test reads the document (its path is the
 * first argument) and holds every layout table against the list it
 * names: a table follows a line `<!-- layout: IPC_X_LAYOUT -->` and has
 * rows `| offset | size | field ... |`, where the field's first word is
 * the code's name. The status record table follows
 * `<!-- records: IPC_RECORDS -->`: one row per record type with its
 * number, name, size and `offset: type name` fields. Every layout below
 * must have exactly one table, and every row must agree: a table that
 * disagrees with the code fails here.
 */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "wire_layout.h"

#define LAYOUT(L) WIRE_LAYOUT(L),

/* Every layout docs/ipc.md shows as a table of its own. */
static const struct wire_layout layouts[] = {IPC_LAYOUTS(LAYOUT)};

#define N_LAYOUTS (sizeof(layouts) / sizeof(layouts[0]))

struct record {
	unsigned type;
	const char *name;
	struct wire_layout layout;
};

#define RECORD(TYPE, number, sname, member)                                    \
	{number, #TYPE, WIRE_LAYOUT(IPC_REC_##TYPE##_LAYOUT)},
static const struct record records[] = {IPC_RECORDS(RECORD)};

#define N_RECORDS (sizeof(records) / sizeof(records[0]))

static const char *doc_path;
static char *doc;

/* The document, read once. */
static const char *document(void)
{
	FILE *f;
	long n;

	if (doc)
		return doc;
	f = fopen(doc_path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", doc_path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	doc = calloc(1, (size_t)n + 1);
	ck_assert_uint_eq(fread(doc, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return doc;
}

static bool is_string(const struct wire_field *f)
{
	return strcmp(f->kind, "name") == 0 || strcmp(f->kind, "ifname") == 0 ||
	       strcmp(f->kind, "counter_name") == 0 ||
	       strcmp(f->kind, "dname") == 0 || strcmp(f->kind, "bytes") == 0;
}

/* Copies the cell starting at *p (after a '|') into out, trimmed, and
 * moves *p past its closing '|'. False at the end of the row. */
static bool next_cell(const char **p, char *out, size_t cap)
{
	const char *end = strchr(*p, '|'), *nl = strchr(*p, '\n');
	size_t n;

	if (!end || (nl && nl < end))
		return false;
	while (*p < end && isspace((unsigned char)**p))
		(*p)++;
	n = (size_t)(end - *p);
	while (n > 0 && isspace((unsigned char)(*p)[n - 1]))
		n--;
	ck_assert_uint_lt(n, cap);
	memcpy(out, *p, n);
	out[n] = '\0';
	*p = end + 1;
	return true;
}

/* The leading identifier of a cell ("local_addr (0 = any)"). */
static void first_word(const char *cell, char *out, size_t cap)
{
	size_t n = 0;

	while (n + 1 < cap &&
	       (isalnum((unsigned char)cell[n]) || cell[n] == '_' ||
		cell[n] == '[' || cell[n] == ']'))
		n++;
	memcpy(out, cell, n);
	out[n] = '\0';
}

/* The first row of the table after `marker`, past its two header
 * lines; NULL when the marker is missing. */
static const char *table_after(const char *marker)
{
	const char *p = strstr(document(), marker);

	if (!p)
		return NULL;
	ck_assert_msg(strstr(p + 1, marker) == NULL, "two tables for %s",
		      marker);
	for (int lines = 0; lines < 3; lines++) {
		p = strchr(p, '\n');
		ck_assert_ptr_nonnull(p);
		p++;
		ck_assert_msg(*p == '|', "%s: no table under the marker",
			      marker);
	}
	return p;
}

/* One `| offset | size | field ... |` table against its layout. */
START_TEST(test_layout_table_matches_the_code)
{
	const struct wire_layout *l = &layouts[_i];
	char marker[128], cell[1024], word[64];
	unsigned offset = 0;
	const char *p;

	snprintf(marker, sizeof(marker), "<!-- layout: %s -->", l->name);
	p = table_after(marker);
	ck_assert_msg(p != NULL, "docs/ipc.md has no table for %s", l->name);
	for (size_t i = 0; i < l->nfields; i++) {
		const struct wire_field *f = &l->fields[i];

		ck_assert_msg(*p == '|', "%s: the table ends before %s",
			      l->name, f->name);
		p++;
		ck_assert(next_cell(&p, cell, sizeof(cell)));
		ck_assert_msg(strtoul(cell, NULL, 10) == offset,
			      "%s.%s: offset %s, the code says %u", l->name,
			      f->name, cell, offset);
		ck_assert(next_cell(&p, cell, sizeof(cell)));
		ck_assert_msg(strtoul(cell, NULL, 10) == f->size,
			      "%s.%s: size %s, the code says %u", l->name,
			      f->name, cell, f->size);
		ck_assert(next_cell(&p, cell, sizeof(cell)));
		first_word(cell, word, sizeof(word));
		ck_assert_msg(strcmp(word, f->name) == 0,
			      "%s at %u: the table says %s, the code %s",
			      l->name, offset, word, f->name);
		p = strchr(p, '\n') + 1;
		offset += f->size;
	}
	ck_assert_msg(*p != '|', "%s: the table has rows the code has not",
		      l->name);
}
END_TEST

/* Checks one record's "offset: type name; ..." list against its
 * layout, offsets from the record's start. */
static void check_record_fields(const struct record *rec, const char *cell)
{
	const struct wire_layout *l = &rec->layout;
	unsigned offset = IPC_REC_HDR_LEN;
	char kind[32], name[64], want[32];
	const char *p = cell;
	unsigned at;
	int used;

	for (size_t i = 0; i < l->nfields; i++) {
		const struct wire_field *f = &l->fields[i];
		bool string = is_string(f);

		ck_assert_msg(
		    sscanf(p, "%u: %31[]a-z0-9[] %n", &at, kind, &used) == 2,
		    "%s: cannot read \"%s\"", rec->name, p);
		p += used;
		first_word(p, name, sizeof(name));
		if (strcmp(kind, "mac[6]") == 0) {
			strcpy(kind, "mac");
			strcpy(name, "mac");
		}
		snprintf(want, sizeof(want), "%s", string ? "u8" : f->kind);
		ck_assert_msg(at == offset,
			      "%s.%s: offset %u, the code says %u", rec->name,
			      f->name, at, offset);
		ck_assert_msg(strcmp(kind, want) == 0,
			      "%s.%s: type %s, the code says %s", rec->name,
			      f->name, kind, want);
		ck_assert_msg(strcmp(name, string ? "n" : f->name) == 0,
			      "%s at %u: the table says %s, the code %s",
			      rec->name, offset, name, f->name);
		offset += f->size;
		p = strchr(p, ';');
		if (string) {
			/* then the string's bytes, named after the field */
			ck_assert_msg(p && sscanf(p + 1, " %u: %63[a-z_]", &at,
						  name) == 2,
				      "%s: no string after its length",
				      rec->name);
			ck_assert_uint_eq(at, offset);
			ck_assert_str_eq(name, f->name);
			p = strchr(p + 1, ';');
		}
		if (i + 1 < l->nfields) {
			ck_assert_msg(p != NULL, "%s: the table ends before %s",
				      rec->name, l->fields[i + 1].name);
			p++;
		}
	}
	ck_assert_msg(p == NULL, "%s: the table has fields the code has not",
		      rec->name);
}

/* The status record table: one row per record type, in order. */
START_TEST(test_record_table_matches_the_code)
{
	const char *p = table_after("<!-- records: IPC_RECORDS -->");
	char cell[2048], size[32];

	ck_assert_msg(p != NULL, "docs/ipc.md has no record table");
	for (size_t i = 0; i < N_RECORDS; i++) {
		const struct record *rec = &records[i];
		const struct wire_layout *l = &rec->layout;
		unsigned fixed = IPC_REC_HDR_LEN;
		bool string = false;

		for (size_t k = 0; k < l->nfields; k++) {
			fixed += l->fields[k].size;
			string |= is_string(&l->fields[k]);
		}
		if (string)
			snprintf(size, sizeof(size), "%u + n", fixed);
		else
			snprintf(size, sizeof(size), "%u", fixed);

		ck_assert_msg(*p == '|', "the record table ends before %s",
			      rec->name);
		p++;
		ck_assert(next_cell(&p, cell, sizeof(cell)));
		ck_assert_uint_eq(strtoul(cell, NULL, 10), rec->type);
		ck_assert(next_cell(&p, cell, sizeof(cell)));
		ck_assert_str_eq(cell, rec->name);
		ck_assert(next_cell(&p, cell, sizeof(cell)));
		ck_assert_msg(strcmp(cell, size) == 0,
			      "%s: size %s, the code says %s", rec->name, cell,
			      size);
		ck_assert(next_cell(&p, cell, sizeof(cell)));
		check_record_fields(rec, cell);
		p = strchr(p, '\n') + 1;
	}
	ck_assert_msg(*p != '|', "the record table has rows the code has not");
}
END_TEST

/* A message type and its body's size; -1: empty. */
struct body_size {
	uint16_t type;
	long size;
};

#define BODY_SIZE(name, TYPE, body, LAYOUT) {TYPE, IPC_LAYOUT_LEN(LAYOUT)},
static const struct body_size body_sizes[] = {
    {IPC_T_HELLO, IPC_HELLO_LEN},
    {IPC_T_STATUS, -1},
    {IPC_T_BARRIER, -1},
    {IPC_T_STATUS_REPLY, IPC_STATUS_REPLY_MIN}, /* + records */
    IPC_BODY_MESSAGES(BODY_SIZE)};

#define N_BODY_SIZES (sizeof(body_sizes) / sizeof(body_sizes[0]))

/* The table of types gives each body's size: "N bytes", or "empty". */
START_TEST(test_type_table_gives_every_body_size)
{
	const struct body_size *b = &body_sizes[_i];
	const char *p = table_after("<!-- messages: IPC_BODY_MESSAGES -->");
	char code[16], cell[256], want[32];

	ck_assert_msg(p != NULL, "docs/ipc.md has no table of types");
	snprintf(code, sizeof(code), "`0x%04x`", b->type);
	if (b->size < 0)
		snprintf(want, sizeof(want), "empty");
	else
		snprintf(want, sizeof(want), "%ld bytes", b->size);
	for (; *p == '|'; p = strchr(p, '\n') + 1) {
		const char *row = p + 1;

		ck_assert(next_cell(&row, cell, sizeof(cell)));
		if (strcmp(cell, code) != 0)
			continue;
		for (int i = 0; i < 3; i++)
			ck_assert(next_cell(&row, cell, sizeof(cell)));
		ck_assert_msg(strncmp(cell, want, strlen(want)) == 0 &&
				  !isdigit((unsigned char)cell[strlen(want)]),
			      "type %s: \"%s\", the code says %s", code, cell,
			      want);
		return;
	}
	ck_abort_msg("docs/ipc.md has no type %s", code);
}
END_TEST

/* No table names a layout this test does not know. */
START_TEST(test_every_marked_table_is_checked)
{
	const char *p = document();
	char name[128];

	while ((p = strstr(p, "<!-- layout: ")) != NULL) {
		bool known = false;

		p += strlen("<!-- layout: ");
		ck_assert_int_eq(sscanf(p, "%127[A-Z_]", name), 1);
		for (size_t i = 0; i < N_LAYOUTS; i++)
			known |= strcmp(layouts[i].name, name) == 0;
		ck_assert_msg(known, "docs/ipc.md names %s, unknown here",
			      name);
	}
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("ipc_doc");
	TCase *tc = tcase_create("doc");
	SRunner *sr;
	int failed;

	if (argc != 2) {
		fprintf(stderr, "usage: %s docs/ipc.md\n", argv[0]);
		return EXIT_FAILURE;
	}
	doc_path = argv[1];
	tcase_add_loop_test(tc, test_layout_table_matches_the_code, 0,
			    (int)N_LAYOUTS);
	tcase_add_test(tc, test_record_table_matches_the_code);
	tcase_add_loop_test(tc, test_type_table_gives_every_body_size, 0,
			    (int)N_BODY_SIZES);
	tcase_add_test(tc, test_every_marked_table_is_checked);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
