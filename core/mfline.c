/* mfline.c — the grammar of one line of a migration file (SPEC section 2).
 *
 * A line `-- dbmig:<key> [value]` (no blank around the colon, exactly two
 * dashes) is a directive wherever it is; any other line is blank, a comment
 * or SQL. Markers are strict: a line that looks like a dbmig marker but is
 * not written as one (`--- dbmig:up`, `-- dbmig: up`, `# dbmig:up`, ...), or
 * another tool's marker (goose, sql-migrate, dbmate), is classified as such
 * so that migfile.c refuses it with the fix (dm_mfline_near_error,
 * dm_mfline_foreign_error) instead of reading it as a comment. Also the
 * "did you mean" of unknown keys and driver names (dm_mf_nearest).
 * Pure functions of the bytes given: the text pipeline calls them on a
 * whole line in memory or on the prefix it kept of a long one.
 */
#include "mfline.h"

#include <string.h>

/* MFL_NEAR: what is wrong with a dbmig marker */
enum { NEAR_DASHES = 1, NEAR_BLANK_BEFORE, NEAR_BLANK_AFTER, NEAR_BLOCK, NEAR_HASH, NEAR_NO_COLON,
       NEAR_TRAILING };
/* MFL_FOREIGN: whose marker it is */
enum { TOOL_GOOSE = 1, TOOL_SQL_MIGRATE, TOOL_DBMATE };

/* The word at p (up to a blank) and the rest after the blanks that follow. */
static void mf_split_word(const char *p, const char *e, dm_mfline *l)
{
    while (p < e && dm_mf_blank(*p))
        p++;
    l->key = p;
    while (p < e && !dm_mf_blank(*p))
        p++;
    l->keylen = (size_t)(p - l->key);
    while (p < e && dm_mf_blank(*p))
        p++;
    l->val = p;
    l->vallen = (size_t)(e - p);
}

/* `dbmig` [blanks] `:` at p: the position after the colon, else NULL;
 * *blank_before tells whether blanks came before the colon. */
static const char *mf_dbmig_colon(const char *p, const char *e, int *blank_before)
{
    if (!dm_mf_ci_prefix(p, e, "dbmig"))
        return NULL;
    const char *q = p + 5;
    while (q < e && dm_mf_blank(*q))
        q++;
    if (q == e || *q != ':')
        return NULL;
    *blank_before = q != p + 5;
    return q + 1;
}

/* A `-- dbmig:KEY` comment after SQL on the line b[0..e) (`DROP TABLE z;
 * -- dbmig:down`): the position after its colon, else NULL. The splitter
 * reads it as a plain comment, so the down statements would run in up
 * and a suppression would silence nothing. Only where the `--` is surely a
 * comment: nothing before it opens a quote (an even number of each quote
 * character), a block comment or a dollar quote ($): a marker-like text
 * inside a string is left alone. */
static const char *mf_trailing_marker(const char *b, const char *e)
{
    int q1 = 0, q2 = 0, q3 = 0;
    for (const char *p = b; p + 1 < e; p++) {
        if (*p == '\'')
            q1 ^= 1;
        else if (*p == '"')
            q2 ^= 1;
        else if (*p == '`')
            q3 ^= 1;
        else if (*p == '$' || (*p == '/' && p[1] == '*'))
            return NULL;
        else if (*p == '-' && p[1] == '-' && !q1 && !q2 && !q3) {
            const char *w = p + 2;
            while (w < e && dm_mf_blank(*w))
                w++;
            int bb;
            return mf_dbmig_colon(w, e, &bb);
        }
    }
    return NULL;
}

/* `dbmig up`, `dbmig-down postgres`, `dbmig verify`: the colon forgotten
 * (or another separator), a section key and at most a built-in driver's name, nothing
 * else (a sentence about dbmig stays a comment). The key's position, else
 * NULL. */
static const char *mf_dbmig_no_colon(const char *p, const char *e)
{
    if (!dm_mf_ci_prefix(p, e, "dbmig"))
        return NULL;
    const char *q = p + 5;
    while (q < e && (dm_mf_blank(*q) || *q == '-' || *q == '_' || *q == '.' || *q == '='))
        q++;
    if (q == p + 5)
        return NULL;
    const char *k = q;
    static const char *const keys[] = {"down", "up", "verify", "fixture", "irreversible",
                                       "phase", "placeholders"};
    size_t kl = 0;
    for (size_t i = 0; !kl && i < sizeof keys / sizeof keys[0]; i++)
        kl = dm_mf_ci_prefix(q, e, keys[i]) ? strlen(keys[i]) : 0;
    q += kl;
    if (!kl || (q < e && !dm_mf_blank(*q)))
        return NULL;
    while (q < e && dm_mf_blank(*q))
        q++;
    /* `dbmig phase post`: read as a comment it would run a contract step
     * before the deploy */
    if (dm_mf_ci_prefix(k, e, "phase") &&
        (dm_mf_ci_eq(q, (size_t)(e - q), "pre") || dm_mf_ci_eq(q, (size_t)(e - q), "post")))
        return k;
    /* `dbmig placeholders on`: read as a comment, ${...} would stay as written */
    if (dm_mf_ci_prefix(k, e, "placeholders") &&
        (dm_mf_ci_eq(q, (size_t)(e - q), "on") || dm_mf_ci_eq(q, (size_t)(e - q), "off")))
        return k;
    static const char *const names[] = {"postgres", "postgresql", "mysql", "mariadb", "sqlite",
                                        "sqlite3"};
    for (size_t i = 0; q < e && i < sizeof names / sizeof names[0]; i++)
        if (dm_mf_ci_eq(q, (size_t)(e - q), names[i]))
            q = e;
    return q == e ? k : NULL;
}

/* Decides the kind of the line b[0..e) (leading blanks already skipped, at
 * most DM_MFLINE_PREFIX bytes of it). For MFL_DIRECTIVE, l->key is where the key
 * begins (the caller reads key and value from the whole line). */
void dm_mfline_decide(const char *b, const char *e, dm_mfline *l)
{
    while (e > b && (dm_mf_blank(e[-1]) || e[-1] == '\r'))
        e--;
    l->text = b;
    l->textlen = (size_t)(e - b);
    if (b == e) {
        l->kind = MFL_BLANK;
        return;
    }
    int bb = 0;
    const char *q;
    if (e - b >= 2 && b[0] == '-' && b[1] == '-') {
        const char *p = b + 2;
        int dashes = 0;
        while (p < e && *p == '-') {
            p++;
            dashes = 1;
        }
        while (p < e && dm_mf_blank(*p))
            p++;
        if ((q = mf_dbmig_colon(p, e, &bb)) != NULL) {
            int ba = q < e && dm_mf_blank(*q);
            if (!dashes && !bb && !ba) {
                l->kind = MFL_DIRECTIVE;
                l->key = q;
                return;
            }
            l->kind = MFL_NEAR;
            l->why = dashes ? NEAR_DASHES : bb ? NEAR_BLANK_BEFORE : NEAR_BLANK_AFTER;
            mf_split_word(q, e, l);
            return;
        }
        if ((q = mf_dbmig_no_colon(p, e)) != NULL) {
            l->kind = MFL_NEAR;
            l->why = NEAR_NO_COLON;
            mf_split_word(q, e, l);
            return;
        }
        if (!dashes) {
            int tool = 0;
            size_t wl = 0;
            if (dm_mf_ci_prefix(p, e, "+goose"))
                tool = TOOL_GOOSE, wl = 6;
            else if (dm_mf_ci_prefix(p, e, "+migrate"))
                tool = TOOL_SQL_MIGRATE, wl = 8;
            else if (dm_mf_ci_prefix(p, e, "migrate:up"))
                tool = TOOL_DBMATE, wl = 10;
            else if (dm_mf_ci_prefix(p, e, "migrate:down"))
                tool = TOOL_DBMATE, wl = 12;
            if (tool && (p + wl == e || dm_mf_blank(p[wl]))) {
                l->kind = MFL_FOREIGN;
                l->why = tool;
                /* dbmate: the word is up or down, the rest its options */
                mf_split_word(p + (tool == TOOL_DBMATE ? 8 : wl), e, l);
                return;
            }
        }
        l->kind = MFL_COMMENT;
        return;
    }
    if ((e - b >= 2 && b[0] == '/' && b[1] == '*') || b[0] == '#') {
        int block = b[0] == '/';
        const char *p = b + (block ? 2 : 1);
        while (p < e && (dm_mf_blank(*p) || (!block && *p == '#')))
            p++;
        if ((q = mf_dbmig_colon(p, e, &bb)) != NULL) {
            l->kind = MFL_NEAR;
            l->why = block ? NEAR_BLOCK : NEAR_HASH;
            if (block && e - q >= 2 && e[-2] == '*' && e[-1] == '/')
                e -= 2; /* the key without the block comment's end */
            while (e > q && dm_mf_blank(e[-1]))
                e--;
            mf_split_word(q, e, l);
            return;
        }
    }
    if ((q = mf_trailing_marker(b, e)) != NULL) {
        l->kind = MFL_NEAR;
        l->why = NEAR_TRAILING;
        mf_split_word(q, e, l);
        return;
    }
    l->kind = MFL_SQL;
}

void dm_mfline_classify(const char *b, const char *e, dm_mfline *l)
{
    memset(l, 0, sizeof *l);
    while (b < e && dm_mf_blank(*b))
        b++;
    dm_mfline_decide(b, (size_t)(e - b) > DM_MFLINE_PREFIX ? b + DM_MFLINE_PREFIX : e, l);
    if (l->kind != MFL_DIRECTIVE)
        return;
    while (e > b && (dm_mf_blank(e[-1]) || e[-1] == '\r'))
        e--;
    mf_split_word(l->key, e, l); /* the whole line's key and value */
}

/* Optimal string alignment distance, ignoring ASCII case (short words). */
static size_t mf_dist(const char *a, size_t la, const char *b, size_t lb)
{
    if (la > 32 || lb > 32)
        return 99;
    size_t d[33][33];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int ai = dm_mf_lower((unsigned char)a[i - 1]), bj = dm_mf_lower((unsigned char)b[j - 1]);
            size_t v = d[i - 1][j - 1] + (ai != bj);
            if (d[i - 1][j] + 1 < v)
                v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ai == dm_mf_lower((unsigned char)b[j - 2]) &&
                dm_mf_lower((unsigned char)a[i - 2]) == bj && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[la][lb];
}

/* The candidate nearest to w[0..n): within 2 edits (at most a third of the
 * word), else one that w begins with or that begins with w (`upgrade` → up);
 * NULL if none. */
const char *dm_mf_nearest(const char *w, size_t n, const char *const *cands, size_t ncands)
{
    const char *best = NULL;
    size_t bd = 3;
    for (size_t i = 0; i < ncands; i++) {
        size_t cl = strlen(cands[i]);
        size_t dd = mf_dist(w, n, cands[i], cl);
        if (dd < bd && dd * 3 <= (n > cl ? n : cl)) {
            bd = dd;
            best = cands[i];
        }
    }
    if (best || n == 0)
        return best;
    for (size_t i = 0; i < ncands; i++) {
        size_t cl = strlen(cands[i]);
        if ((n > cl && dm_mf_ci_prefix(w, w + n, cands[i])) ||
            (n < cl && mf_dist(w, n, cands[i], n) == 0))
            return cands[i];
    }
    return NULL;
}

#define MF_QUOTE 80 /* bytes of a line quoted in a message */

static int mf_qlen(size_t n) { return (int)(n > MF_QUOTE ? MF_QUOTE : n); }

/* A dbmig marker not written as one: `--- dbmig:up`, `-- dbmig: up`,
 * `-- dbmig :up`, slash-star dbmig:up star-slash, `# dbmig:up`. */
int dm_mfline_near_error(const char *path, const dm_mfline *l, int line, dm_err *err)
{
    const char *why = l->why == NEAR_DASHES        ? "a marker starts with exactly two dashes"
                      : l->why == NEAR_BLANK_BEFORE ? "no blank may come before the colon"
                      : l->why == NEAR_BLANK_AFTER  ? "no blank may come after the colon"
                      : l->why == NEAR_NO_COLON     ? "the key follows dbmig and a colon"
                      : l->why == NEAR_TRAILING     ? "a marker is a line of its own: after "
                                                      "SQL, -- starts a plain comment, so the "
                                                      "line before it would run with it"
                      : l->why == NEAR_BLOCK        ? "a marker is a -- line comment, not a "
                                                      "block comment"
                                                    : "a marker is a -- line comment, not a # "
                                                      "comment";
    return dm_err_set(err, DBMIG_EINVALID,
                      "%s:%d: '%.*s%s' looks like a dbmig marker but is not written as one, and "
                      "dbmig does not guess (%s). Write it as -- dbmig:%.*s%s%.*s",
                      path, line, mf_qlen(l->textlen), l->text,
                      l->textlen > MF_QUOTE ? "..." : "", why,
                      l->keylen ? mf_qlen(l->keylen) : 5, l->keylen ? l->key : "<key>",
                      l->vallen ? " " : "", mf_qlen(l->vallen), l->val);
}

/* Another tool's marker: what to write instead. */
int dm_mfline_foreign_error(const char *path, const dm_mfline *l, int line, dm_err *err)
{
    const char *tool = l->why == TOOL_GOOSE ? "goose" : l->why == TOOL_DBMATE ? "dbmate"
                                                                               : "sql-migrate";
    const char *k = l->key;
    size_t kn = l->keylen;
    const char *use = NULL, *extra = "";
    int notx = 0;
    for (size_t i = 0; i + 13 <= l->vallen && !notx; i++)
        notx = dm_mf_ci_prefix(l->val + i, l->val + l->vallen, "notransaction");
    for (size_t i = 0; i + 17 <= l->vallen && !notx; i++)
        notx = dm_mf_ci_prefix(l->val + i, l->val + l->vallen, "transaction:false");
    if (dm_mf_ci_eq(k, kn, "up"))
        use = "-- dbmig:up";
    else if (dm_mf_ci_eq(k, kn, "down"))
        use = "-- dbmig:down";
    else if (l->why != TOOL_DBMATE && dm_mf_ci_eq(k, kn, "statementbegin"))
        use = "-- dbmig:statement begin";
    else if (l->why != TOOL_DBMATE && dm_mf_ci_eq(k, kn, "statementend"))
        use = "-- dbmig:statement end";
    else if (l->why == TOOL_GOOSE && dm_mf_ci_eq(k, kn, "no") &&
             dm_mf_ci_eq(l->val, l->vallen, "transaction"))
        use = "-- dbmig:transaction off (in the header, before the first section)";
    if (use && notx)
        extra = ", and -- dbmig:transaction off in the header";
    if (!use)
        return dm_err_set(err, DBMIG_EINVALID,
                          "%s:%d: '%.*s%s' is a %s annotation, which dbmig does not read (it "
                          "would be a mere comment). Rewrite the file with dbmig's markers: "
                          "-- dbmig:up, -- dbmig:down, -- dbmig:statement begin/end, "
                          "-- dbmig:transaction off.",
                          path, line, mf_qlen(l->textlen), l->text,
                          l->textlen > MF_QUOTE ? "..." : "", tool);
    return dm_err_set(err, DBMIG_EINVALID,
                      "%s:%d: '%.*s%s' is a %s marker, which dbmig does not read (it would be a "
                      "mere comment, and the sections would run together). Write %s instead%s.",
                      path, line, mf_qlen(l->textlen), l->text,
                      l->textlen > MF_QUOTE ? "..." : "", tool, use, extra);
}
