// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* kernel warnings the stand-ins saw (kstub.c): each fails its test */
extern unsigned int kstub_warnings;

static struct test_case *head, **tail = &head;
static int current_failures;
static const char *current_name;

void test_register(struct test_case *tc)
{
	*tail = tc;
	tail = &tc->next;
}

void test_fail(const char *file, int line, const char *expr,
	       long long got, long long want)
{
	/* print the first few failures of a test, count them all */
	if (current_failures++ < 5)
		printf("#   %s:%d: %s: got %lld, want %lld\n",
		       file, line, expr, got, want);
}

void test_note(const char *fmt, ...)
{
	va_list ap;

	printf("#   %s: ", current_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	struct test_case *tc;

	for (tc = head; tc; tc = tc->next) {
		if (argc > 1 && !strstr(tc->name, argv[1]))
			continue;
		current_name = tc->name;
		current_failures = 0;
		kstub_warnings = 0;
		tc->fn();
		if (kstub_warnings)
			test_fail(__FILE__, __LINE__, "no kernel warning",
				  kstub_warnings, 0);
		if (current_failures) {
			printf("not ok %d - %s (%d failed checks)\n",
			       passed + failed + 1, tc->name, current_failures);
			failed++;
		} else {
			printf("ok %d - %s\n", passed + failed + 1, tc->name);
			passed++;
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
