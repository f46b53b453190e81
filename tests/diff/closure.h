/* closure.h — the closure property test's schema generator (tests/diff):
 * a small schema held as a plain value (a "spec"), its random mutations of
 * the kinds of issue 16 item 2, and its rendering as CREATE statements (and
 * rows) in one dialect.
 *
 * Why it is built this way:
 *   - The spec is a fixed-size struct of names and small integers, so a
 *     step copies it (B = A, then mutate B) and the walk keeps A and B side
 *     by side with no allocation and nothing to free.
 *   - Every reference is by name (a foreign key names its columns, its
 *     table and the key it points at; a view names its base and columns).
 *     A mutation makes its one change; gen_normalize then removes whatever
 *     the change left dangling (the checks of a dropped column, the keys
 *     pointing at a changed primary key, the views of a dropped table), so
 *     every spec renders to DDL the database accepts and each mutation
 *     stays a few lines.
 *   - Names come from one counter per walk (t3, c7, u9, ...), so no name is
 *     reused within a walk, except on purpose (a changed index, check or
 *     view keeps its name: the generator must drop and recreate it).
 *   - Row values are one number k per row (1 or 2) rendered per type, so
 *     every column of a row converts to every type the generator may give
 *     it, unique columns stay distinct, a foreign key's value k finds row k
 *     of its target, and every check holds (see gen_data_safe for when the
 *     rows are kept).
 */
#ifndef CLOSURE_H
#define CLOSURE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum { GD_PG, GD_MY, GD_SQ };
/* Type groups: a type change within a group widens or narrows; INT, DEC
 * and TXT convert into one another (the rows hold small numbers). */
enum { G_INT, G_DEC, G_TXT, G_BOOL, G_DATE, G_ENUM, G_N };

#define GN 12 /* name length */
#define MAXT 5
#define MAXC 9
#define MAXU 2
#define MAXK 2
#define MAXF 2
#define MAXI 3
#define MAXV 3
#define MAXS 2
#define MAXE 2
#define MAXL 6

typedef char gname[GN];

typedef struct gcol {
    gname name;
    int grp, ty;        /* type: group and index in the dialect's list */
    int notnull;
    int has_def, defv;  /* a constant default: value defv rendered per type */
    int gen;            /* 0, 1 virtual, 2 stored: GENERATED AS (src * gmul) */
    int gmul;
    gname src;
    gname ename;        /* G_ENUM: the enum type */
} gcol;

/* anon: written without CONSTRAINT <name> (the database names it) */
typedef struct gkey { gname name; int n, anon; gname c[2]; } gkey;
typedef struct gcheck { gname name; gname col; int grp, op, anon; } gcheck;
typedef struct gfk {
    gname name;
    int anon;
    int n;
    gname c[2], ref, rc[2];
    int ondel, onupd;   /* 0 none, 1 CASCADE, 2 SET NULL, 3 RESTRICT */
    int deferred;       /* DEFERRABLE INITIALLY DEFERRED (PostgreSQL, SQLite) */
} gfk;
/* kind: 0 plain, 1 partial (WHERE c[0] IS NOT NULL), 2 expression over
 * c[0] (its group grp), 3 PostgreSQL hash */
typedef struct gidx { gname name; int n; gname c[3]; int uniq, kind, grp, desc; } gidx; /* desc: its last column DESC */

typedef struct gtable {
    gname name;
    int nc, npk, nu, nk, nf, ni;
    gcol c[MAXC];
    gname pk[2];
    gkey u[MAXU];
    gcheck k[MAXK];
    gfk f[MAXF];
    gidx i[MAXI];
} gtable;

/* SELECT base.c..., [join.jc] FROM base[, join] [WHERE base.c[0] IS NOT
 * NULL]; base a table or an earlier view, join another table ("": none) */
typedef struct gview { gname name, base, join, jc; int n; gname c[3]; int where; } gview;
typedef struct gseq { gname name; int inc, start; } gseq;
typedef struct genum { gname name; int n; gname l[MAXL]; } genum;

typedef struct gspec {
    int d, enums, counter;
    int nojoin; /* views read one table only (closure --no-join-views) */
    int nt, nv, ns, ne;
    gtable t[MAXT];
    gview v[MAXV];
    gseq s[MAXS];
    genum e[MAXE];
} gspec;

/* splitmix64: the walk's own state, no global. */
typedef struct grng { uint64_t s; } grng;
uint64_t grng_next(grng *r);
int grng_int(grng *r, int n); /* 0 .. n-1 */

/* A random spec of 2-4 tables in dialect d (GD_*); enums: PostgreSQL
 * enum types may appear. sp->nojoin is kept (set it before). */
void gen_init(gspec *sp, int d, int enums, grng *r);
/* One to three random mutations; desc gets what they were ("drop column
 * t1.c4; add index i9 on t2"). Returns the kinds applied, one bit each
 * (1 << kind), for the run's per-kind counts. */
uint64_t gen_mutate(gspec *sp, grng *r, char *desc, size_t cap);
int gen_nkinds(void);
const char *gen_kind_name(int k);

/* Rendering: statements each ending ";\n". 0 or -1 on no memory. */
int gen_render(const gspec *sp, dm_buf *out);
/* Two rows per table (k = 1, 2), in table order (keys point backwards). */
int gen_rows(const gspec *sp, dm_buf *out);
/* Every table's rows deleted (children first). */
int gen_clear(const gspec *sp, dm_buf *out);
/* 1 when rows inserted under a stay valid through a -> b -> a (the kinds
 * that cannot keep rows are listed at the function). */
int gen_data_safe(const gspec *a, const gspec *b);

#endif
