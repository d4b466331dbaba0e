/* What linux.uml does to restore a guest process's FPU state, in miniature: trace a child, read its XSAVE
 * state into a buffer of UML's size (832 bytes: legacy area, header, AVX), change MXCSR, write the buffer back
 * with PTRACE_SETREGSET NT_X86_XSTATE, read it again. Prints "set=<rc> errno=<n> mxcsr=<hex> wanted=<hex>".
 * With an argument N the write is repeated N times and "us_per_set=<microseconds>" is added: what one FPU restore
 * costs (UML does one at nearly every switch to a guest process).
 * Used by lab/tests/test_xstate_shim.py with and without lab/uml/xstate_shim.c preloaded. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define NT_X86_XSTATE_NOTE 0x202
#define UML_XSTATE_SIZE 832
#define MXCSR_OFFSET 24

int main(int argc, char **argv)
{
    unsigned char buf[UML_XSTATE_SIZE] __attribute__((aligned(64)));
    struct iovec iov = {buf, sizeof(buf)};
    uint32_t mxcsr, wanted;
    struct timespec t0, t1;
    long rc, n, repeat = argc > 1 ? atol(argv[1]) : 1;
    int err, status;
    pid_t child = fork();

    if (child == 0) {
        ptrace(PTRACE_TRACEME, 0, NULL, NULL);
        raise(SIGSTOP);
        for (;;)
            pause();
    }
    waitpid(child, &status, 0);
    if (ptrace(PTRACE_GETREGSET, child, (void *)NT_X86_XSTATE_NOTE, &iov) < 0) {
        perror("getregset");
        kill(child, SIGKILL);
        return 2;
    }
    memcpy(&mxcsr, buf + MXCSR_OFFSET, 4);
    mxcsr ^= 0x8000;  /* flush-to-zero */
    memcpy(buf + MXCSR_OFFSET, &mxcsr, 4);
    wanted = mxcsr;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (n = 0, rc = 0; n < (repeat > 0 ? repeat : 1) && rc == 0; n++) {
        iov.iov_len = sizeof(buf);
        rc = ptrace(PTRACE_SETREGSET, child, (void *)NT_X86_XSTATE_NOTE, &iov);
    }
    err = rc < 0 ? errno : 0;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    memset(buf, 0, sizeof(buf));
    iov.iov_len = sizeof(buf);
    ptrace(PTRACE_GETREGSET, child, (void *)NT_X86_XSTATE_NOTE, &iov);
    memcpy(&mxcsr, buf + MXCSR_OFFSET, 4);
    printf("set=%ld errno=%d mxcsr=%x wanted=%x", rc, err, mxcsr, wanted);
    if (argc > 1)
        printf(" us_per_set=%.2f", ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3 / n);
    printf("\n");
    kill(child, SIGKILL);
    return 0;
}
