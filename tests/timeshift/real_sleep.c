/* Loaded before libfaketime by `make test-timeshift`: sleeps go straight to the kernel.
 *
 * With FAKETIME_DONT_FAKE_MONOTONIC=1 (so timeouts measured on the monotonic clock stay real while the wall
 * clock is shifted), libfaketime 0.9.10 still rewrites clock_nanosleep's deadline and the call fails with
 * EINVAL; Python's time.sleep uses it. The monotonic deadlines Python passes are real, so the real call is right.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int clock_nanosleep(clockid_t clock_id, int flags, const struct timespec *request, struct timespec *remain) {
    long result = syscall(SYS_clock_nanosleep, clock_id, flags, request, remain);
    return result == 0 ? 0 : errno;
}

int nanosleep(const struct timespec *request, struct timespec *remain) {
    return (int)syscall(SYS_nanosleep, request, remain);
}
