/*
 * The snmpd plugin form: "dlmod xensnmp /path/to/xensnmp.so" makes snmpd
 * call init_xensnmp() and, on unload, deinit_xensnmp(), both defined in
 * xensnmp_module.c.  Nothing else differs from the subagent.
 */
#include "xensnmp.h"
