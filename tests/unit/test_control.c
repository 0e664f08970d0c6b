/*
 * gw-control's parsers: numbers, listen addresses, signal endpoints and
 * software versions, with the malformed inputs a merchant or an operator
 * could send.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "../../controlplane/parse.h"

static void u64_accepts_bounds(void **state)
{
	uint64_t v = 7;

	assert_int_equal(gw_parse_u64("60", 60, 100, &v), 0);
	assert_true(v == 60);
	assert_int_equal(gw_parse_u64("100", 60, 100, &v), 0);
	assert_true(v == 100);
	assert_int_equal(
	    gw_parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
}

static void u64_refuses_garbage(void **state)
{
	static const char *const bad[] = {
	    "", "-1", "+1", " 1", "1 ", "0x10", "1e3", "12a", "１",
	};
	uint64_t v = 42;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(gw_parse_u64(bad[i], 0, 1000, &v), -EINVAL);
	assert_int_equal(gw_parse_u64(NULL, 0, 1000, &v), -EINVAL);
	assert_true(v == 42);
}

static void u64_refuses_out_of_range(void **state)
{
	uint64_t v = 42;

	assert_int_equal(gw_parse_u64("59", 60, 100, &v), -ERANGE);
	assert_int_equal(gw_parse_u64("101", 60, 100, &v), -ERANGE);
	assert_int_equal(
	    gw_parse_u64("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(
	    gw_parse_u64("99999999999999999999", 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(gw_parse_u64("000000000000000000001", 0, 10, &v),
			 -EINVAL);
	assert_true(v == 42);
}

static void hostport_ipv4(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	socklen_t len = 0;

	assert_int_equal(gw_parse_hostport("127.0.0.1:7443", &ss, &len), 0);
	assert_int_equal(s4->sin_family, AF_INET);
	assert_int_equal(ntohs(s4->sin_port), 7443);
	assert_int_equal(ntohl(s4->sin_addr.s_addr), 0x7f000001);
	assert_int_equal(len, sizeof(struct sockaddr_in));
}

static void hostport_ipv6(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = 0;

	assert_int_equal(gw_parse_hostport("[::1]:65535", &ss, &len), 0);
	assert_int_equal(s6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(s6->sin6_port), 65535);
	assert_int_equal(s6->sin6_addr.s6_addr[15], 1);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
}

static void hostport_refuses(void **state)
{
	static const char *const bad[] = {
	    "",
	    ":7443",
	    "127.0.0.1",
	    "127.0.0.1:",
	    "127.0.0.1:0",
	    "127.0.0.1:65536",
	    "127.0.0.1:-1",
	    "127.0.0.1:80x",
	    "localhost:7443",
	    "256.0.0.1:7443",
	    "::1:7443",
	    "[::1]7443",
	    "[::1:7443",
	    "[127.0.0.1]:7443",
	    "1.2.3.4:5:6",
	    "[]:80",
	};
	struct sockaddr_storage ss;
	socklen_t len = 0;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(gw_parse_hostport(bad[i], &ss, &len), -EINVAL);
	assert_int_equal(gw_parse_hostport(NULL, &ss, &len), -EINVAL);
}

static void endpoint_accepts(void **state)
{
	assert_int_equal(gw_parse_endpoint("-"), 0);
	assert_int_equal(gw_parse_endpoint("10.1.2.3:9000"), 0);
	assert_int_equal(gw_parse_endpoint("merchant-7.example.net:1"), 0);
	assert_int_equal(gw_parse_endpoint("[fe80::1]:443"), 0);
	assert_int_equal(gw_parse_endpoint("a:65535"), 0);
}

static void endpoint_refuses(void **state)
{
	static const char *const bad[] = {
	    "",		  "--",		 "host",     "host:0",
	    "host:70000", "-host:80",	 "host-:80", "ho_st:80",
	    "a..b:80",	  ".a:80",	 "a.:80",    "h\x01st:80",
	    "host:80\n",  "[not-v6]:80", "[::1]:",   "a b:80",
	};
	char longlabel[80];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(gw_parse_endpoint(bad[i]), -EINVAL);
	assert_int_equal(gw_parse_endpoint(NULL), -EINVAL);
	/* A 64-character label is one too many (RFC 1035 section 2.3.4). */
	memset(longlabel, 'a', 64);
	memcpy(longlabel + 64, ":80", 4);
	assert_int_equal(gw_parse_endpoint(longlabel), -EINVAL);
	longlabel[63] = ':';
	memcpy(longlabel + 63, ":80", 4);
	assert_int_equal(gw_parse_endpoint(longlabel), 0);
}

static void version_rules(void **state)
{
	assert_int_equal(gw_parse_version("1.0.0"), 0);
	assert_int_equal(gw_parse_version("2.3.1-rc1+build_7"), 0);
	assert_int_equal(gw_parse_version("01234567890123456789012345678901"),
			 0);
	assert_int_equal(gw_parse_version("012345678901234567890123456789012"),
			 -EINVAL);
	assert_int_equal(gw_parse_version(""), -EINVAL);
	assert_int_equal(gw_parse_version("1.0 beta"), -EINVAL);
	assert_int_equal(gw_parse_version("1.0;rm"), -EINVAL);
	assert_int_equal(gw_parse_version("v\xc3\xa9"), -EINVAL);
	assert_int_equal(gw_parse_version(NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(u64_accepts_bounds),
	    cmocka_unit_test(u64_refuses_garbage),
	    cmocka_unit_test(u64_refuses_out_of_range),
	    cmocka_unit_test(hostport_ipv4),
	    cmocka_unit_test(hostport_ipv6),
	    cmocka_unit_test(hostport_refuses),
	    cmocka_unit_test(endpoint_accepts),
	    cmocka_unit_test(endpoint_refuses),
	    cmocka_unit_test(version_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
