/* Who is not covered: TLS libraries pinshim cannot judge among the loaded
 * objects (uncovered.c, DESIGN 12). */
#ifndef PINSHIM_UNCOVERED_H
#define PINSHIM_UNCOVERED_H

/* Look at what the process has loaded since the last look; a TLS library
 * pinshim cannot judge is said once (runtime_uncovered). */
void uncovered_look(void);

#endif
