/*
 * gw-gen-cards: synthetic credit lines for the scale benchmark, in the
 * format of gw_credit.h.  Numbers are 16 digits from the test-only prefix
 * 999999 (see tests/data/README.md), a 9-digit serial starting with 5 so
 * that they never meet the hand-written test cards, and a Luhn digit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX	   "9999995"
#define SERIAL_MAX 100000000ull /* 8 digits after the prefix */
#define LIMIT	   "100000000000"

/* Status and expiry by serial: mostly active cards with room for any run,
 * and one in a hundred each blocked, lost and expired, so that the
 * decision's early rules are exercised at scale too. */
static const struct {
	const char *expiry;
	char status;
} kinds[100] = {
    [0] = {"3012", 'B'},
    [1] = {"3012", 'L'},
    [2] = {"2312", 'A'},
};

/* The check digit that makes @digits (ASCII, @n long) followed by it
 * pass the mod-10 check. */
static char luhn_digit(const char *digits, size_t n)
{
	unsigned sum = 0, d;
	size_t i;

	for (i = 0; i < n; i++) {
		d = (unsigned)(digits[n - 1 - i] - '0');
		if (i % 2 == 0) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return (char)('0' + (10 - sum % 10) % 10);
}

static int usage(void)
{
	fprintf(stderr, "usage: gw-gen-cards COUNT (1 to %llu) > FILE\n",
		SERIAL_MAX);
	return 2;
}

int main(int argc, char **argv)
{
	unsigned long long n, i;
	char pan[17];
	char *end;
	unsigned k;

	if (argc != 2 || argv[1][0] < '0' || argv[1][0] > '9')
		return usage();
	errno = 0;
	n = strtoull(argv[1], &end, 10);
	if (errno != 0 || *end != '\0' || n == 0 || n > SERIAL_MAX)
		return usage();
	puts("pan,expiry,credit_limit,open_to_buy,status");
	for (i = 0; i < n; i++) {
		snprintf(pan, sizeof(pan), PREFIX "%08llu", i);
		pan[15] = luhn_digit(pan, 15);
		pan[16] = '\0';
		k = (unsigned)(i % 100);
		printf("%s,%s," LIMIT "," LIMIT ",%c\n", pan,
		       kinds[k].expiry ? kinds[k].expiry : "3012",
		       kinds[k].status ? kinds[k].status : 'A');
	}
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
