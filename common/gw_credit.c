/*
 * The credit-line table: loading the operator's card file, the hash index
 * over card tokens and the atomic open-to-buy updates.  Reading one line
 * is gw_credit_parse.c's; the rules that decide whether to debit are
 * gw_decide.c's.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "gw_credit.h"
#include "gw_credit_parse.h"
#include "gw_util.h"

#define FILE_MAX (1u << 30) /* refuse card files above 1 GiB */

/*
 * Lines live in one array that never moves after loading; the index is an
 * open-addressing table of line numbers plus one (0 marks an empty slot),
 * probed linearly.  Tokens are HMAC outputs, so their first bytes are
 * already a uniform hash.
 */
struct gw_credit_table {
	struct gw_credit_line *lines;
	size_t count;
	uint32_t *slots;
	size_t mask; /* capacity - 1, capacity a power of two */
};

static size_t slot_of(const struct gw_credit_table *t,
		      const uint8_t token[GW_CARD_TOKEN_LEN])
{
	uint64_t h;

	memcpy(&h, token, sizeof(h));
	return (size_t)h & t->mask;
}

struct gw_credit_line *gw_credit_find(const struct gw_credit_table *t,
				      const uint8_t token[GW_CARD_TOKEN_LEN])
{
	if (t == NULL || token == NULL || t->count == 0)
		return NULL;
	for (size_t i = slot_of(t, token);; i = (i + 1) & t->mask) {
		uint32_t s = t->slots[i];

		if (s == 0)
			return NULL;
		if (gw_ct_equal(t->lines[s - 1].token, token,
				GW_CARD_TOKEN_LEN))
			return &t->lines[s - 1];
	}
}

/* Indexes line @idx; returns the index of an earlier line holding the same
 * token, or -1 when the card is new. */
static long insert(struct gw_credit_table *t, size_t idx)
{
	const uint8_t *tok = t->lines[idx].token;

	for (size_t i = slot_of(t, tok);; i = (i + 1) & t->mask) {
		uint32_t s = t->slots[i];

		if (s == 0) {
			t->slots[i] = (uint32_t)idx + 1;
			return -1;
		}
		if (memcmp(t->lines[s - 1].token, tok, GW_CARD_TOKEN_LEN) == 0)
			return (long)(s - 1);
	}
}

static bool is_blank(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '\t')
			return false;
	return true;
}

/* Reads the whole of @path into a NUL-terminated buffer. */
static char *slurp(const char *path, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) != 0 || st.st_size < 0 ||
	    (uint64_t)st.st_size > FILE_MAX) {
		snprintf(err, errlen, "%s: not a readable file under 1 GiB",
			 path);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	*len = fread(buf, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[*len] = '\0';
out:
	fclose(f);
	return buf;
}

/* Sizes the table for at most @maxlines lines: the index holds at least
 * twice as many slots so that probes stay short. */
static struct gw_credit_table *table_new(size_t maxlines)
{
	struct gw_credit_table *t = calloc(1, sizeof(*t));
	size_t cap = 16;

	if (t == NULL)
		return NULL;
	while (cap < 2 * maxlines)
		cap *= 2;
	t->lines = calloc(maxlines ? maxlines : 1, sizeof(*t->lines));
	t->slots = calloc(cap, sizeof(*t->slots));
	t->mask = cap - 1;
	if (t->lines == NULL || t->slots == NULL) {
		gw_credit_free(t);
		return NULL;
	}
	return t;
}

static size_t count_lines(const char *buf, size_t len)
{
	size_t n = 1;

	for (const char *p = buf;
	     (p = memchr(p, '\n', len - (size_t)(p - buf))); p++)
		n++;
	return n;
}

/* Loads every line of @buf into @t.  0, or -EINVAL with @err filled. */
static int load_lines(struct gw_credit_table *t, char *buf, const char *path,
		      const struct gw_card_tokenizer *tk, char *err,
		      size_t errlen)
{
	const char *field = "";
	char why[96] = "";
	unsigned long lineno = 0;
	char *next = buf;
	int ret = 0;

	while (next != NULL && ret == 0) {
		char *s = next;
		size_t n;
		long dup;

		lineno++;
		next = strchr(s, '\n');
		if (next != NULL)
			*next++ = '\0';
		n = strlen(s);
		if (n > 0 && s[n - 1] == '\r')
			s[n - 1] = '\0';
		if (s[0] == '#' || is_blank(s))
			continue;
		if (t->count == 0 && strncmp(s, "pan,", 4) == 0)
			continue;
		ret = gw_credit_parse_line(s, tk, &t->lines[t->count], &field,
					   why, sizeof(why));
		if (ret != 0)
			break;
		dup = insert(t, t->count);
		if (dup >= 0) {
			snprintf(why, sizeof(why),
				 "the same card as an earlier line");
			ret = -EINVAL;
			field = "pan";
			break;
		}
		t->count++;
	}
	if (ret != 0)
		snprintf(err, errlen, "%s:%lu: field %s: %s", path, lineno,
			 field, why);
	return ret;
}

struct gw_credit_table *gw_credit_load(const char *path,
				       const struct gw_card_tokenizer *tk,
				       char *err, size_t errlen)
{
	struct gw_credit_table *t = NULL;
	size_t len = 0;
	char *buf;

	if (path == NULL || tk == NULL || err == NULL || errlen == 0)
		return NULL;
	err[0] = '\0';
	buf = slurp(path, &len, err, errlen);
	if (buf == NULL)
		return NULL;
	t = table_new(count_lines(buf, len));
	if (t == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	if (load_lines(t, buf, path, tk, err, errlen) != 0) {
		gw_credit_free(t);
		t = NULL;
	}
out:
	/* The buffer held every card number in clear. */
	OPENSSL_cleanse(buf, len + 1);
	free(buf);
	return t;
}

void gw_credit_free(struct gw_credit_table *t)
{
	if (t == NULL)
		return;
	free(t->lines);
	free(t->slots);
	free(t);
}

size_t gw_credit_count(const struct gw_credit_table *t)
{
	return t == NULL ? 0 : t->count;
}

uint64_t gw_credit_otb(const struct gw_credit_line *l)
{
	return __atomic_load_n(&l->otb, __ATOMIC_ACQUIRE);
}

uint64_t gw_credit_debit(struct gw_credit_line *l, uint64_t want,
			 int partial_ok)
{
	uint64_t cur = __atomic_load_n(&l->otb, __ATOMIC_ACQUIRE);
	uint64_t take;

	if (want == 0)
		return 0;
	do {
		if (cur >= want)
			take = want;
		else if (partial_ok && cur > 0)
			take = cur;
		else
			return 0;
	} while (!__atomic_compare_exchange_n(&l->otb, &cur, cur - take, false,
					      __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	return take;
}

void gw_credit_credit(struct gw_credit_line *l, uint64_t amount)
{
	uint64_t cur = __atomic_load_n(&l->otb, __ATOMIC_ACQUIRE);
	uint64_t next;

	do {
		/* Written so that a huge @amount cannot wrap around. */
		if (cur >= l->limit || amount >= l->limit - cur)
			next = l->limit;
		else
			next = cur + amount;
		if (next == cur)
			return;
	} while (!__atomic_compare_exchange_n(
	    &l->otb, &cur, next, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
}
