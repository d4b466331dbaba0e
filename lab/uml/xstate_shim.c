/* Copyright: (c) 2026, ecmp.lvs contributors
 * GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
 *
 * LD_PRELOAD shim for linux.uml (User-Mode Linux 6.1 and 6.12) on hosts whose XSAVE area is larger than UML's
 * (e.g. Intel CPUs with AMX: 11 KiB). UML restores a guest process's FPU state with
 * ptrace(PTRACE_SETREGSET, NT_X86_XSTATE) from its own fixed-size buffer; the host kernel accepts only a whole
 * XSAVE buffer (x86 xstateregs_set: count must be fpu_user_cfg.max_size) and returns EFAULT, UML then kills the
 * process - the guest's init dies ("ptrace set fp regs failed, errno = 14", "Attempted to kill init!").
 *
 * Here such a call is completed: the tracee's whole XSAVE buffer is read (PTRACE_GETREGSET), UML's part is put
 * over it (the bytes UML has, and the XSTATE_BV bits of the components lying inside them), and the whole buffer
 * is written. Components UML does not know keep the tracee's own values. Every other ptrace call passes through.
 * Nothing of the guest kernel is changed or emulated: it is the same kernel, its FPU state reaches the host.
 * Built and preloaded by the lab tool (lab/ecmplab_lib/uml.py); a host where UML's buffer is accepted never takes
 * the second path.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

#define NT_X86_XSTATE_NOTE 0x202
#define XSAVE_HDR_OFFSET 512
#define XSAVE_MAX 65536

typedef long (*ptrace_fn)(enum __ptrace_request, pid_t, void *, void *);
static ptrace_fn real_ptrace;
static int whole_buffer_needed;   /* once the host refused UML's buffer, go straight to the whole one */

/* Is XSAVE component i (standard format) wholly inside the first n bytes? x87 and SSE live in the legacy area. */
static int component_inside(unsigned int i, size_t n)
{
    unsigned int eax, ebx, ecx, edx;

    if (i < 2)
        return n >= XSAVE_HDR_OFFSET;
    if (!__get_cpuid_count(0xd, i, &eax, &ebx, &ecx, &edx) || eax == 0)
        return 0;
    return (size_t)ebx + eax <= n;
}

static long set_whole_xstate(pid_t pid, void *addr, const struct iovec *iov)
{
    static unsigned char whole[XSAVE_MAX] __attribute__((aligned(64)));
    struct iovec wiov = {whole, sizeof(whole)};
    const unsigned char *part = iov->iov_base;
    size_t n = iov->iov_len;
    static size_t mask_for = 0;   /* cpuid is a VM exit on a virtual host (~3 us each): the mask is computed once */
    static uint64_t mask = 0;
    uint64_t part_bv, whole_bv;
    unsigned int i;

    if (n < XSAVE_HDR_OFFSET + 8 || real_ptrace(PTRACE_GETREGSET, pid, addr, &wiov) < 0 || wiov.iov_len <= n) {
        errno = EFAULT;
        return -1;
    }
    memcpy(&whole_bv, whole + XSAVE_HDR_OFFSET, 8);
    memcpy(&part_bv, part + XSAVE_HDR_OFFSET, 8);
    memcpy(whole, part, n);
    if (mask_for != n) {
        mask = 0;
        for (i = 0; i < 64; i++)
            if (component_inside(i, n))
                mask |= 1ULL << i;
        mask_for = n;
    }
    whole_bv = (whole_bv & ~mask) | (part_bv & mask);
    memcpy(whole + XSAVE_HDR_OFFSET, &whole_bv, 8);
    return real_ptrace(PTRACE_SETREGSET, pid, addr, &wiov);
}

long ptrace(enum __ptrace_request request, ...)
{
    va_list ap;
    pid_t pid;
    void *addr, *data;
    long ret;

    va_start(ap, request);
    pid = va_arg(ap, pid_t);
    addr = va_arg(ap, void *);
    data = va_arg(ap, void *);
    va_end(ap);
    if (!real_ptrace)
        real_ptrace = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace");
    if (request != PTRACE_SETREGSET || (long)addr != NT_X86_XSTATE_NOTE || !data)
        return real_ptrace(request, pid, addr, data);
    if (whole_buffer_needed)
        return set_whole_xstate(pid, addr, data);
    ret = real_ptrace(request, pid, addr, data);
    if (ret == 0 || errno != EFAULT)
        return ret;
    ret = set_whole_xstate(pid, addr, data);
    if (ret == 0)
        whole_buffer_needed = 1;
    return ret;
}
