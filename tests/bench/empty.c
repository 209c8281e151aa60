/* empty.c - the floor of scripts/bench's start-up case: a preloaded library
 * that does nothing (one exported function, no constructor, libc only). */
void pinshim_bench_empty(void);
void pinshim_bench_empty(void)
{
}
