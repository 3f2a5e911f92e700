/* The benchmark's static table (see static_table.c). */
#ifndef STATIC_TABLE_H
#define STATIC_TABLE_H

void init_static_table(void);
void deinit_static_table(void);

#endif
