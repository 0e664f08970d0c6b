/*
 * merchant-sim's readers of the credit-line file and of request scripts:
 * every field of a good file, and for each malformed field the exact
 * message, which must never repeat a card number.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../merchant-sim/cards.h"
#include "../../merchant-sim/script.h"

static char path[64];
static char err[256];

/* Writes @text to a fresh temporary file named in path. */
static void put(const char *text)
{
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_sim_cards.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void good_file_is_read_field_by_field(void **state)
{
	struct sim_cards *c;

	put("pan,expiry,credit_limit,open_to_buy,status\n"
	    "# comment\n"
	    "\n"
	    "4000009900000012,3012,1000000,1000000,A\r\n"
	    "370000990000012,2312,100000,0,B\n"
	    "6011009900000000003,3001,300000,250000,L");
	c = sim_cards_load(path, err, sizeof(err));
	unlink(path);
	assert_non_null(c);
	assert_int_equal(c->n, 3);
	assert_string_equal(c->v[0].pan, "4000009900000012");
	assert_int_equal(c->v[0].pan_len, 16);
	assert_int_equal(c->v[0].line.expiry, 3012);
	assert_int_equal(c->v[0].line.limit, 1000000);
	assert_int_equal(c->v[0].line.otb, 1000000);
	assert_int_equal(c->v[0].line.status, 'A');
	assert_string_equal(c->v[0].line.masked, "400000******0012");
	assert_int_equal(c->v[0].busy, 0);
	assert_int_equal(c->v[1].pan_len, 15);
	assert_int_equal(c->v[1].line.expiry, 2312);
	assert_int_equal(c->v[1].line.otb, 0);
	assert_int_equal(c->v[1].line.status, 'B');
	assert_int_equal(c->v[2].pan_len, 19);
	assert_int_equal(c->v[2].line.otb, 250000);
	assert_int_equal(c->v[2].line.status, 'L');
	assert_ptr_equal(sim_cards_find(c, "370000990000012", 15), &c->v[1]);
	assert_null(sim_cards_find(c, "37000099000001", 14));
	assert_null(sim_cards_find(c, "4000009900000020", 16));
	sim_cards_free(c);
}

static const struct {
	const char *line;
	const char *msg; /* after "<path>:" */
} bad_cards[] = {
    {"4000009900000013,3012,1,1,A",
     "2: field pan: not 12 to 19 digits passing the Luhn check"},
    {"40000099000,3012,1,1,A",
     "2: field pan: not 12 to 19 digits passing the Luhn check"},
    {"4000 009900000012,3012,1,1,A",
     "2: field pan: not 12 to 19 digits passing the Luhn check"},
    {"4000009900000012,3013,1,1,A", "2: field expiry: expected YYMM"},
    {"4000009900000012,301,1,1,A", "2: field expiry: expected YYMM"},
    {"4000009900000012,3000,1,1,A", "2: field expiry: expected YYMM"},
    {"4000009900000012,3012,-1,0,A",
     "2: field credit_limit: expected an amount in minor units"},
    {"4000009900000012,3012,18446744073709551616,0,A",
     "2: field credit_limit: expected an amount in minor units"},
    {"4000009900000012,3012,,0,A",
     "2: field credit_limit: expected an amount in minor units"},
    {"4000009900000012,3012,10,11,A",
     "2: field open_to_buy: above credit_limit"},
    {"4000009900000012,3012,10,1x,A",
     "2: field open_to_buy: expected an amount in minor units"},
    {"4000009900000012,3012,10,10,X", "2: field status: expected A, B or L"},
    {"4000009900000012,3012,10,10,AB", "2: field status: expected A, B or L"},
    {"4000009900000012,3012,10,10",
     "2: expected 5 fields: pan,expiry,credit_limit,open_to_buy,status"},
    {"4000009900000012,3012,10,10,A,",
     "2: expected 5 fields: pan,expiry,credit_limit,open_to_buy,status"},
};

static void malformed_fields_are_named_without_the_card(void **state)
{
	char text[256], want[128];
	struct sim_cards *c;
	size_t i;

	for (i = 0; i < sizeof(bad_cards) / sizeof(bad_cards[0]); i++) {
		snprintf(text, sizeof(text),
			 "4111111111111111,3012,5,5,A\n%s\n",
			 bad_cards[i].line);
		put(text);
		c = sim_cards_load(path, err, sizeof(err));
		unlink(path);
		assert_null(c);
		snprintf(want, sizeof(want), "%s:%s", path, bad_cards[i].msg);
		assert_string_equal(err, want);
		assert_null(strstr(err, "4000009900000"));
	}
}

static void empty_long_and_missing_files_are_refused(void **state)
{
	char text[700], want[128];

	put("# only a comment\npan,expiry,credit_limit,open_to_buy,status\n");
	assert_null(sim_cards_load(path, err, sizeof(err)));
	unlink(path);
	snprintf(want, sizeof(want), "%s: no cards", path);
	assert_string_equal(err, want);

	memset(text, '1', sizeof(text) - 2);
	text[sizeof(text) - 2] = '\n';
	text[sizeof(text) - 1] = '\0';
	put(text);
	assert_null(sim_cards_load(path, err, sizeof(err)));
	unlink(path);
	snprintf(want, sizeof(want), "%s:1: line too long", path);
	assert_string_equal(err, want);

	assert_null(sim_cards_load("/nonexistent/cards.csv", err, sizeof(err)));
	assert_string_equal(
	    err, "/nonexistent/cards.csv: No such file or directory");
}

static void script_lines_are_read(void **state)
{
	struct sim_script *s;

	put("# pan,expiry,amount,flags,expected_code,expected_amount\n"
	    "4000009900000012,3012,1000,0,00,1000\n"
	    "\n"
	    "5100009900000018,3012,8000,1,10,5000\n"
	    ",2912,0,65535,14,0\n"
	    "1234567890123456789,0,18446744073709551615,3,99,7\n");
	s = sim_script_load(path, err, sizeof(err));
	unlink(path);
	assert_non_null(s);
	assert_int_equal(s->n, 4);
	assert_string_equal(s->v[0].pan, "4000009900000012");
	assert_int_equal(s->v[0].expiry, 3012);
	assert_int_equal(s->v[0].amount, 1000);
	assert_int_equal(s->v[0].flags, 0);
	assert_int_equal(s->v[0].code, 0);
	assert_int_equal(s->v[0].expected_amount, 1000);
	assert_int_equal(s->v[0].lineno, 2);
	assert_int_equal(s->v[1].flags, 1);
	assert_int_equal(s->v[1].code, 10);
	assert_int_equal(s->v[1].expected_amount, 5000);
	assert_int_equal(s->v[1].lineno, 4);
	assert_int_equal(s->v[2].pan_len, 0);
	assert_int_equal(s->v[2].flags, 65535);
	assert_int_equal(s->v[2].code, 14);
	assert_int_equal(s->v[3].pan_len, 19);
	assert_int_equal(s->v[3].amount, UINT64_MAX);
	assert_int_equal(s->v[3].code, 99);
	sim_script_free(s);
}

static const struct {
	const char *line;
	const char *msg;
} bad_script[] = {
    {"12345678901234567890,3012,1,0,00,1",
     "1: field pan: longer than 19 characters"},
    {"4000009900000012,30120,1,0,00,1", "1: field expiry: expected YYMM"},
    {"4000009900000012,3012,1.5,0,00,1",
     "1: field amount: expected an amount in minor units"},
    {"4000009900000012,3012,1,65536,00,1",
     "1: field flags: expected a number from 0 to 65535"},
    {"4000009900000012,3012,1,0,0,1",
     "1: field expected_code: expected two digits"},
    {"4000009900000012,3012,1,0,0a,1",
     "1: field expected_code: expected two digits"},
    {"4000009900000012,3012,1,0,00,",
     "1: field expected_amount: expected an amount in minor units"},
    {"4000009900000012,3012,1,0,00",
     "1: expected 6 fields: pan,expiry,amount,flags,expected_code,expected_amount"},
};

static void malformed_script_lines_are_named(void **state)
{
	char want[160];
	size_t i;

	for (i = 0; i < sizeof(bad_script) / sizeof(bad_script[0]); i++) {
		put(bad_script[i].line);
		assert_null(sim_script_load(path, err, sizeof(err)));
		unlink(path);
		snprintf(want, sizeof(want), "%s:%s", path, bad_script[i].msg);
		assert_string_equal(err, want);
	}
	put("# nothing\n");
	assert_null(sim_script_load(path, err, sizeof(err)));
	unlink(path);
	snprintf(want, sizeof(want), "%s: no requests", path);
	assert_string_equal(err, want);
}

static void number_parsers_are_strict(void **state)
{
	uint64_t v = 7;
	uint16_t yymm = 7;

	assert_int_equal(sim_parse_u64("18446744073709551615", &v), 0);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(sim_parse_u64("18446744073709551616", &v), -EINVAL);
	assert_int_equal(sim_parse_u64("", &v), -EINVAL);
	assert_int_equal(sim_parse_u64("+1", &v), -EINVAL);
	assert_int_equal(sim_parse_u64(" 1", &v), -EINVAL);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(sim_parse_yymm("2812", &yymm), 0);
	assert_int_equal(yymm, 2812);
	assert_int_equal(sim_parse_yymm("2800", &yymm), -EINVAL);
	assert_int_equal(sim_parse_yymm("2813", &yymm), -EINVAL);
	assert_int_equal(sim_parse_yymm("02812", &yymm), -EINVAL);
	assert_int_equal(yymm, 2812);
}

static void csv_split_counts_fields(void **state)
{
	char line[] = "a,,b", over[] = "1,2,3";
	char *f[3];

	assert_int_equal(sim_csv_split(line, f, 3), 3);
	assert_string_equal(f[0], "a");
	assert_string_equal(f[1], "");
	assert_string_equal(f[2], "b");
	assert_int_equal(sim_csv_split(over, f, 2), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(good_file_is_read_field_by_field),
	    cmocka_unit_test(malformed_fields_are_named_without_the_card),
	    cmocka_unit_test(empty_long_and_missing_files_are_refused),
	    cmocka_unit_test(script_lines_are_read),
	    cmocka_unit_test(malformed_script_lines_are_named),
	    cmocka_unit_test(number_parsers_are_strict),
	    cmocka_unit_test(csv_split_counts_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
