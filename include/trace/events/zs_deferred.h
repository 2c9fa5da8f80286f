/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Events of the zsmalloc deferred-free core (mm/zsmalloc_deferred/), for
 * ftrace and perfetto: what a drain did and how long it took, pushes that
 * fell back to the synchronous free, and pool pages gained or given back.
 * Documentation/mm/zsmalloc-deferred.rst shows how to record them.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM zs_deferred

#if !defined(_TRACE_ZS_DEFERRED_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_ZS_DEFERRED_H

#include <linux/tracepoint.h>

TRACE_EVENT(zs_deferred_drain,
	    TP_PROTO(const char *name, unsigned int nr, unsigned int stale, u64 ns),
	    TP_ARGS(name, nr, stale, ns),
	    TP_STRUCT__entry(__string(name, name)
			     __field(unsigned int, nr)
			     __field(unsigned int, stale)
			     __field(u64, ns)),
	    TP_fast_assign(__assign_str(name);
			   __entry->nr = nr;
			   __entry->stale = stale;
			   __entry->ns = ns;),
	    TP_printk("%s elements=%u stale=%u ns=%llu", __get_str(name),
		      __entry->nr, __entry->stale, __entry->ns)
);

TRACE_EVENT(zs_deferred_fallback,
	    TP_PROTO(const char *name, bool off),
	    TP_ARGS(name, off),
	    TP_STRUCT__entry(__string(name, name)
			     __field(bool, off)),
	    TP_fast_assign(__assign_str(name);
			   __entry->off = off;),
	    TP_printk("%s reason=%s", __get_str(name),
		      __entry->off ? "switched_off" : "no_free_page")
);

TRACE_EVENT(zs_deferred_pool,
	    TP_PROTO(const char *name, long delta, unsigned long pages),
	    TP_ARGS(name, delta, pages),
	    TP_STRUCT__entry(__string(name, name)
			     __field(long, delta)
			     __field(unsigned long, pages)),
	    TP_fast_assign(__assign_str(name);
			   __entry->delta = delta;
			   __entry->pages = pages;),
	    TP_printk("%s delta=%ld pages=%lu", __get_str(name),
		      __entry->delta, __entry->pages)
);

#endif /* _TRACE_ZS_DEFERRED_H */

/* This part must be outside protection */
#include <trace/define_trace.h>
