/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal test harness: TEST(name) { ... } registers a test; EXPECT_*
 * record failures with their values and keep going; main() in harness.c
 * prints one line per test and "N passed, N failed" at the end.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <stdio.h>

struct test_case {
	const char *name;
	void (*fn)(void);
	struct test_case *next;
};

void test_register(struct test_case *tc);
void test_fail(const char *file, int line, const char *expr,
	       long long got, long long want);
void test_note(const char *fmt, ...);

#define TEST(name)							\
	static void name(void);						\
	__attribute__((constructor)) static void test_reg_##name(void)	\
	{								\
		static struct test_case tc = { #name, name, NULL };	\
		test_register(&tc);					\
	}								\
	static void name(void)

#define EXPECT_EQ(got, want) do {					\
	long long _g = (long long)(got), _w = (long long)(want);	\
	if (_g != _w)							\
		test_fail(__FILE__, __LINE__, #got " == " #want, _g, _w); \
} while (0)

#define EXPECT_TRUE(cond) do {						\
	if (!(cond))							\
		test_fail(__FILE__, __LINE__, #cond, 0, 1);		\
} while (0)

#define EXPECT_RANGE(got, lo, hi) do {					\
	long long _g = (long long)(got);				\
	if (_g < (long long)(lo) || _g > (long long)(hi))		\
		test_fail(__FILE__, __LINE__,				\
			  #got " in [" #lo ", " #hi "]", _g, (long long)(lo)); \
} while (0)

#endif /* HARNESS_H */
