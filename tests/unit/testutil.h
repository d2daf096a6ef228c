/* testutil.h: what every cmocka unit test includes. */
#ifndef FRIDAY_TESTUTIL_H
#define FRIDAY_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#ifndef FIXTURES
#define FIXTURES "tests/fixtures"
#endif

#endif
