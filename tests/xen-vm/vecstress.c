/*
 * vecstress: checks that the CPU's vector registers survive being switched
 * out.  Each process fills xmm0-15 (and the upper halves of ymm0-15 when
 * the CPU and the OS enable AVX) with a pattern of its own, spins, yields
 * now and then, and reads them back.  Any difference means that a context
 * switch (the dom0 kernel's between tasks, or Xen's between vCPUs of
 * different domains) did not restore the state it saved: the kind of
 * fault that shows up elsewhere as a random crash in glibc's string
 * functions.  Used by stress-exec.sh on the emulated Xen host.
 *
 * Usage: vecstress SECONDS [NPROC [SLEEP_US]]   exit 0 clean, 1 corrupted,
 * 2 usage.  With SLEEP_US each round sleeps instead of spinning: a switch
 * out is certain and the cost to the machine is small, so the suite can
 * check its platform while it runs.
 */
#include <cpuid.h>
#include <errno.h>
#include <signal.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int avx_usable(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	if (!(c & bit_OSXSAVE) || !(c & bit_AVX))
		return 0;
	unsigned lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 6) == 6;	/* the OS saves xmm and ymm state */
}

#define NREG 16

/* SIGTERM ends the run early, with the summary printed as usual */
static volatile sig_atomic_t stop;
static pid_t children[64];
static int nchildren;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
	for (int i = 0; i < nchildren; i++)
		kill(children[i], SIGTERM);
}
typedef struct { uint64_t q[4]; } reg256;

static void load_avx(const reg256 *r)
{
	__asm__ volatile(
		"vmovdqu 0(%0), %%ymm0\n vmovdqu 32(%0), %%ymm1\n"
		"vmovdqu 64(%0), %%ymm2\n vmovdqu 96(%0), %%ymm3\n"
		"vmovdqu 128(%0), %%ymm4\n vmovdqu 160(%0), %%ymm5\n"
		"vmovdqu 192(%0), %%ymm6\n vmovdqu 224(%0), %%ymm7\n"
		"vmovdqu 256(%0), %%ymm8\n vmovdqu 288(%0), %%ymm9\n"
		"vmovdqu 320(%0), %%ymm10\n vmovdqu 352(%0), %%ymm11\n"
		"vmovdqu 384(%0), %%ymm12\n vmovdqu 416(%0), %%ymm13\n"
		"vmovdqu 448(%0), %%ymm14\n vmovdqu 480(%0), %%ymm15\n"
		: : "r"(r) : "memory");
}

static void store_avx(reg256 *r)
{
	__asm__ volatile(
		"vmovdqu %%ymm0, 0(%0)\n vmovdqu %%ymm1, 32(%0)\n"
		"vmovdqu %%ymm2, 64(%0)\n vmovdqu %%ymm3, 96(%0)\n"
		"vmovdqu %%ymm4, 128(%0)\n vmovdqu %%ymm5, 160(%0)\n"
		"vmovdqu %%ymm6, 192(%0)\n vmovdqu %%ymm7, 224(%0)\n"
		"vmovdqu %%ymm8, 256(%0)\n vmovdqu %%ymm9, 288(%0)\n"
		"vmovdqu %%ymm10, 320(%0)\n vmovdqu %%ymm11, 352(%0)\n"
		"vmovdqu %%ymm12, 384(%0)\n vmovdqu %%ymm13, 416(%0)\n"
		"vmovdqu %%ymm14, 448(%0)\n vmovdqu %%ymm15, 480(%0)\n"
		: : "r"(r) : "memory");
}

static void load_sse(const reg256 *r)
{
	__asm__ volatile(
		"movdqu 0(%0), %%xmm0\n movdqu 32(%0), %%xmm1\n"
		"movdqu 64(%0), %%xmm2\n movdqu 96(%0), %%xmm3\n"
		"movdqu 128(%0), %%xmm4\n movdqu 160(%0), %%xmm5\n"
		"movdqu 192(%0), %%xmm6\n movdqu 224(%0), %%xmm7\n"
		"movdqu 256(%0), %%xmm8\n movdqu 288(%0), %%xmm9\n"
		"movdqu 320(%0), %%xmm10\n movdqu 352(%0), %%xmm11\n"
		"movdqu 384(%0), %%xmm12\n movdqu 416(%0), %%xmm13\n"
		"movdqu 448(%0), %%xmm14\n movdqu 480(%0), %%xmm15\n"
		: : "r"(r) : "memory");
}

static void store_sse(reg256 *r)
{
	__asm__ volatile(
		"movdqu %%xmm0, 0(%0)\n movdqu %%xmm1, 32(%0)\n"
		"movdqu %%xmm2, 64(%0)\n movdqu %%xmm3, 96(%0)\n"
		"movdqu %%xmm4, 128(%0)\n movdqu %%xmm5, 160(%0)\n"
		"movdqu %%xmm6, 192(%0)\n movdqu %%xmm7, 224(%0)\n"
		"movdqu %%xmm8, 256(%0)\n movdqu %%xmm9, 288(%0)\n"
		"movdqu %%xmm10, 320(%0)\n movdqu %%xmm11, 352(%0)\n"
		"movdqu %%xmm12, 384(%0)\n movdqu %%xmm13, 416(%0)\n"
		"movdqu %%xmm14, 448(%0)\n movdqu %%xmm15, 480(%0)\n"
		: : "r"(r) : "memory");
}

static int worker(int id, int secs, int avx, long sleep_us)
{
	reg256 want[NREG], got[NREG];
	unsigned long rounds = 0, bad = 0;
	time_t end = time(NULL) + secs;
	uint64_t seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(id + 1);

	while (!stop && time(NULL) < end) {
		for (int i = 0; i < NREG; i++)
			for (int j = 0; j < 4; j++) {
				seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
				want[i].q[j] = avx || j < 2 ? seed : 0;
			}
		memset(got, 0, sizeof(got));
		if (avx) load_avx(want); else load_sse(want);
		/* sleep or spin without touching vector registers (raw system
		 * calls: a libc call may use them), so that the kernel or Xen
		 * switches this task out meanwhile */
		if (sleep_us > 0) {
			struct timespec ts = { sleep_us / 1000000, (sleep_us % 1000000) * 1000 };
			__asm__ volatile("mov $35, %%eax\n syscall" : : "D"(&ts), "S"(0) : "rax", "rcx", "r11", "memory");	/* nanosleep */
		} else
			for (volatile unsigned long k = 0; k < 200000; k++)
				;
		if (sleep_us == 0 && rounds % 16 == 0)
			__asm__ volatile("mov $24, %%eax\n syscall" : : : "rax", "rcx", "r11", "memory");	/* sched_yield */
		if (avx) store_avx(got); else store_sse(got);
		rounds++;
		for (int i = 0; i < NREG; i++)
			for (int j = 0; j < (avx ? 4 : 2); j++)
				if (got[i].q[j] != want[i].q[j]) {
					if (bad < 5)
						printf("vecstress %d: round %lu: %smm%d word %d is %016llx, was %016llx\n",
						       id, rounds, avx ? "y" : "x", i, j,
						       (unsigned long long)got[i].q[j],
						       (unsigned long long)want[i].q[j]);
					bad++;
				}
	}
	printf("vecstress %d: %lu rounds, %lu corrupted words (%s)\n", id, rounds, bad, avx ? "ymm" : "xmm");
	fflush(stdout);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return fprintf(stderr, "usage: %s SECONDS [NPROC [SLEEP_US]]\n", argv[0]), 2;
	int secs = atoi(argv[1]), n = argc > 2 ? atoi(argv[2]) : 2;
	long sleep_us = argc > 3 ? atol(argv[3]) : 0;
	int avx = avx_usable();
	if (n < 1 || n > 64)
		return fprintf(stderr, "%s: NPROC must be 1 to 64\n", argv[0]), 2;
	signal(SIGTERM, on_term);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			nchildren = 0;
			_exit(worker(i, secs, avx, sleep_us));
		}
		if (pid > 0)
			children[nchildren++] = pid;
	}
	int st, rc = 0;
	for (;;) {
		pid_t w = wait(&st);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			rc = 1;
	}
	return rc;
}
