/* test_split.c — the statement splitter on nasty inputs, per dialect. */
#define _POSIX_C_SOURCE 200809L /* lstat, strncasecmp (the libpg_query cross-check) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "split.h"

#ifdef DBMIG_HAVE_PG_QUERY
#include <dirent.h>
#include <strings.h>
#include <sys/stat.h>

#include "migfile.h"
#include "pgsplit_cmp.h"
#endif

enum { GEN = DBMIG_DIALECT_GENERIC, PG = DBMIG_DIALECT_POSTGRES, MY = DBMIG_DIALECT_MYSQL,
       LITE = DBMIG_DIALECT_SQLITE };

typedef struct res {
    dm_stmt_list l;
    dm_err err;
    int rc;
} res;

/* Feeds text[0..len) to an incremental splitter in chunks: of `size` bytes,
 * or of pseudo-random sizes 1..64 when size is 0. */
static void run_chunked(res *r, int dialect, const char *text, size_t len, int first_line,
                        size_t size, unsigned seed)
{
    memset(r, 0, sizeof *r);
    dm_splitter *sp = dm_splitter_new(dialect, first_line, "m.sql");
    assert_non_null(sp);
    size_t i = 0;
    r->rc = 0;
    while (i < len && r->rc == 0) {
        size_t k = size;
        if (!k) {
            seed = seed * 1103515245u + 12345u;
            k = 1 + (seed >> 16) % 64;
        }
        if (k > len - i)
            k = len - i;
        /* a private copy, so that the splitter cannot keep pointers into it */
        char *c = malloc(k ? k : 1);
        assert_non_null(c);
        memcpy(c, text + i, k);
        r->rc = dm_split_into(sp, c, k, 0, &r->l, &r->err);
        free(c);
        i += k;
    }
    if (r->rc == 0)
        r->rc = dm_split_into(sp, NULL, 0, 1, &r->l, &r->err);
    dm_splitter_free(sp);
}

/* The incremental splitter, fed the same text in every chunking, must give
 * what the one-shot split gave: the statements, their lines, or the same
 * error message. */
static void cross_check(const res *want, int dialect, const char *text, int first_line)
{
    size_t len = text ? strlen(text) : 0;
    /* long inputs: a few sizes (test_stream_bounded feeds 8 MB a byte at a time) */
    static const size_t big[] = {7, 64, 4096, 65536};
    size_t nsizes = len <= 300 ? len + 2 : sizeof big / sizeof big[0] + 2;
    for (size_t z = 0; z < nsizes; z++) {
        size_t size;
        unsigned seed = 0;
        if (len <= 300)
            size = z < len + 1 ? z + 1 : 0;
        else if (z < sizeof big / sizeof big[0])
            size = big[z];
        else {
            size = 0;
            seed = (unsigned)z;
        }
        if (size == 0 && len > 300)
            seed = (unsigned)z * 7919u;
        for (unsigned rep = 0; rep < (size ? 1u : 4u); rep++) {
            res r;
            run_chunked(&r, dialect, text ? text : "", len, first_line, size, seed + rep * 31u);
            if (r.rc != want->rc)
                fail_msg("dialect %d, chunks of %zu: rc %d, one-shot %d (%s | %s)", dialect, size,
                         r.rc, want->rc, dm_err_msg(&r.err), dm_err_msg(&want->err));
            if (want->rc == 0) {
                if (r.l.n != want->l.n)
                    fail_msg("dialect %d, chunks of %zu: %zu statements, one-shot %zu", dialect,
                             size, r.l.n, want->l.n);
                for (size_t k = 0; k < r.l.n; k++) {
                    assert_int_equal(r.l.v[k].len, want->l.v[k].len);
                    assert_memory_equal(r.l.v[k].sql, want->l.v[k].sql, r.l.v[k].len + 1);
                    if (r.l.v[k].line != want->l.v[k].line)
                        fail_msg("dialect %d, chunks of %zu: statement %zu at line %d, one-shot "
                                 "%d", dialect, size, k, r.l.v[k].line, want->l.v[k].line);
                }
            } else {
                assert_string_equal(dm_err_msg(&r.err), dm_err_msg(&want->err));
            }
            dm_stmt_list_free(&r.l);
            dm_err_free(&r.err);
        }
    }
}

static void run(res *r, int dialect, const char *text, int first_line)
{
    memset(r, 0, sizeof *r);
    r->rc = dm_split(text, text ? strlen(text) : 0, dialect, first_line, "m.sql", &r->l, &r->err);
    cross_check(r, dialect, text, first_line);
}

static void done(res *r)
{
    dm_stmt_list_free(&r->l);
    dm_err_free(&r->err);
}

/* Splits and checks the statements: expected texts, NULL-terminated. */
static void expect(int dialect, const char *text, const char *const *want)
{
    res r;
    run(&r, dialect, text, 1);
    if (r.rc != 0)
        fail_msg("dialect %d: %s", dialect, dm_err_msg(&r.err));
    size_t n = 0;
    while (want[n])
        n++;
    if (r.l.n != n) {
        for (size_t i = 0; i < r.l.n; i++)
            print_message("  got[%zu] = <%s>\n", i, r.l.v[i].sql);
        fail_msg("dialect %d: %zu statements, want %zu", dialect, r.l.n, n);
    }
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(r.l.v[i].sql, want[i]);
        assert_int_equal(r.l.v[i].len, strlen(want[i]));
    }
    done(&r);
}

/* Expects an error whose message contains each of the given fragments. */
static void expect_error(int dialect, const char *text, int first_line, const char *frag1,
                         const char *frag2)
{
    res r;
    run(&r, dialect, text, first_line);
    if (r.rc == 0)
        fail_msg("dialect %d: expected an error, got %zu statements", dialect, r.l.n);
    assert_int_equal(r.rc, DBMIG_EINVALID);
    const char *m = dm_err_msg(&r.err);
    if (!strstr(m, frag1) || (frag2 && !strstr(m, frag2)))
        fail_msg("message <%s> lacks <%s> or <%s>", m, frag1, frag2 ? frag2 : "");
    assert_int_equal(r.l.n, 0);
    done(&r);
}

#define W(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_basic_and_lines(void **st)
{
    (void)st;
    static const int all[] = {GEN, PG, MY, LITE};
    for (size_t d = 0; d < 4; d++) {
        res r;
        run(&r, all[d],
            "\n-- leading comment\n/* block\n comment */\n  CREATE TABLE a (x int);\n\n"
            "INSERT INTO a\nVALUES (1)  ;\n-- trailing comment only\n",
            1);
        assert_int_equal(r.rc, 0);
        assert_int_equal(r.l.n, 2);
        assert_string_equal(r.l.v[0].sql, "CREATE TABLE a (x int)");
        assert_int_equal(r.l.v[0].line, 5);
        assert_string_equal(r.l.v[1].sql, "INSERT INTO a\nVALUES (1)");
        assert_int_equal(r.l.v[1].line, 7);
        done(&r);
        /* first_line offsets the numbering */
        run(&r, all[d], "SELECT 1;\n\nSELECT 2", 10);
        assert_int_equal(r.l.n, 2);
        assert_int_equal(r.l.v[0].line, 10);
        assert_int_equal(r.l.v[1].line, 12);
        assert_string_equal(r.l.v[1].sql, "SELECT 2");
        done(&r);
    }
}

static void test_semicolons_in_quotes_everywhere(void **st)
{
    (void)st;
    static const int all[] = {GEN, PG, MY, LITE};
    for (size_t d = 0; d < 4; d++) {
        expect(all[d], "SELECT 'a;b', \"c;d\" -- x;y\nFROM t; /* ; */ SELECT 'it''s; ok';;",
               W("SELECT 'a;b', \"c;d\" -- x;y\nFROM t", "SELECT 'it''s; ok'"));
        expect(all[d], "SELECT \"we\"\"ird;\" FROM t; SELECT 2",
               W("SELECT \"we\"\"ird;\" FROM t", "SELECT 2"));
    }
}

static void test_empty_input(void **st)
{
    (void)st;
    static const int all[] = {GEN, PG, MY, LITE};
    for (size_t d = 0; d < 4; d++) {
        expect(all[d], "", W(NULL));
        expect(all[d], "  \n\t\n", W(NULL));
        expect(all[d], "-- only\n/* comments */ ;; ;\n", W(NULL));
        res r;
        run(&r, all[d], NULL, 1);
        assert_int_equal(r.rc, 0);
        assert_int_equal(r.l.n, 0);
        done(&r);
    }
}

static void test_crlf(void **st)
{
    (void)st;
    res r;
    run(&r, PG, "SELECT 1;\r\n\r\nSELECT\r\n2;\r\n", 1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.l.n, 2);
    assert_string_equal(r.l.v[0].sql, "SELECT 1");
    assert_string_equal(r.l.v[1].sql, "SELECT\r\n2");
    assert_int_equal(r.l.v[1].line, 3);
    done(&r);
}

static void test_pg_escape_strings(void **st)
{
    (void)st;
    expect(PG, "SELECT E'it\\'s; x', e'\\\\'; SELECT 2;",
           W("SELECT E'it\\'s; x', e'\\\\'", "SELECT 2"));
    /* outside postgres a backslash is an ordinary character in '...' */
    expect_error(GEN, "SELECT E'it\\'s; x';\nSELECT 2;", 1, "m.sql:1:", "unterminated string");
    /* but in postgres a plain '...' has no backslash escapes */
    expect(PG, "SELECT 'a\\'; SELECT 2", W("SELECT 'a\\'", "SELECT 2"));
    expect_error(PG, "SELECT 1;\nSELECT E'abc\\';\n", 1, "m.sql:2:", "unterminated escape string");
}

static void test_pg_dollar_quotes(void **st)
{
    (void)st;
    expect(PG,
           "CREATE FUNCTION f() RETURNS int AS $body$\nBEGIN\n  RETURN 1; -- ;\nEND;\n$body$ "
           "LANGUAGE plpgsql;\nSELECT $$a;b$$;",
           W("CREATE FUNCTION f() RETURNS int AS $body$\nBEGIN\n  RETURN 1; -- ;\nEND;\n$body$ "
             "LANGUAGE plpgsql",
             "SELECT $$a;b$$"));
    /* nested different tags: the inner one is just text */
    expect(PG, "DO $outer$ BEGIN EXECUTE $inner$ SELECT 1; $inner$; END $outer$; SELECT 2",
           W("DO $outer$ BEGIN EXECUTE $inner$ SELECT 1; $inner$; END $outer$", "SELECT 2"));
    /* $1 is a parameter, a$b$ an identifier */
    expect(PG, "PREPARE p AS SELECT $1, a$b$; SELECT 2", W("PREPARE p AS SELECT $1, a$b$",
                                                          "SELECT 2"));
    expect_error(PG, "SELECT 1;\n\nSELECT $x$ never closed $y$;", 1, "m.sql:3:",
                 "unterminated dollar-quoted");
    /* other dialects have no dollar quotes */
    expect(MY, "SELECT $$a;b$$;", W("SELECT $$a", "b$$"));
}

static void test_block_comment_nesting(void **st)
{
    (void)st;
    const char *in = "/* a /* b */ ; */ SELECT 1;";
    expect(PG, in, W("SELECT 1"));
    expect(LITE, in, W("*/ SELECT 1"));
    expect(MY, in, W("*/ SELECT 1"));
    expect(GEN, in, W("*/ SELECT 1"));
    expect_error(PG, "SELECT 1;\n/* a /* b */\n", 1, "m.sql:2:", "unterminated block comment");
    expect_error(LITE, "SELECT 1; /* open", 5, "m.sql:5:", "dbmig:statement begin/end");
}

static void test_deep_nesting(void **st)
{
    (void)st;
    enum { DEPTH = 100000 };
    size_t cap = (size_t)DEPTH * 12 + 64;
    char *s = malloc(cap);
    assert_non_null(s);
    /* nested comments: one statement after them in postgres */
    char *p = s;
    for (int i = 0; i < DEPTH; i++) {
        memcpy(p, "/*", 2);
        p += 2;
    }
    for (int i = 0; i < DEPTH; i++) {
        memcpy(p, "*/", 2);
        p += 2;
    }
    strcpy(p, "\nSELECT 1;");
    expect(PG, s, W("SELECT 1"));
    /* elsewhere the first closer ends the comment; the rest is text */
    res r;
    run(&r, LITE, s, 1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.l.n, 1);
    assert_int_equal(strncmp(r.l.v[0].sql, "*/*/", 4), 0);
    done(&r);
    /* unclosed nesting: an error, not a crash */
    s[2 * DEPTH] = '\0';
    expect_error(PG, s, 1, "m.sql:1:", "unterminated block comment");

    /* 100000 nested BEGIN ... END blocks in a MySQL procedure */
    p = s;
    p += sprintf(p, "CREATE PROCEDURE p()\n");
    for (int i = 0; i < DEPTH; i++) {
        memcpy(p, "BEGIN ", 6);
        p += 6;
    }
    p += sprintf(p, "SELECT 1; ");
    for (int i = 0; i < DEPTH; i++) {
        memcpy(p, "END; ", 5);
        p += 5;
    }
    strcpy(p, "\nSELECT 2;");
    run(&r, MY, s, 1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.l.n, 2);
    assert_string_equal(r.l.v[1].sql, "SELECT 2");
    assert_int_equal(r.l.v[1].line, 3);
    done(&r);

    /* 100000 unclosed parentheses in postgres: one statement to the end */
    memset(s, '(', DEPTH);
    strcpy(s + DEPTH, "; SELECT 2;");
    run(&r, PG, s, 1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.l.n, 1);
    done(&r);
    free(s);
}

static void test_sqlite_trigger(void **st)
{
    (void)st;
    const char *trg =
        "CREATE TRIGGER trg AFTER INSERT ON t\n"
        "WHEN NEW.a = CASE WHEN 1 THEN 1 END\n"
        "BEGIN\n"
        "  UPDATE t SET x = CASE WHEN NEW.a > 0 THEN 'p;' ELSE 'n' END, ending = 1;\n"
        "  INSERT INTO log (beginning) VALUES (1);\n"
        "END;\n"
        "SELECT 1;";
    expect(LITE, trg,
           W("CREATE TRIGGER trg AFTER INSERT ON t\n"
             "WHEN NEW.a = CASE WHEN 1 THEN 1 END\n"
             "BEGIN\n"
             "  UPDATE t SET x = CASE WHEN NEW.a > 0 THEN 'p;' ELSE 'n' END, ending = 1;\n"
             "  INSERT INTO log (beginning) VALUES (1);\n"
             "END",
             "SELECT 1"));
    /* lower case, TEMP, IF NOT EXISTS */
    expect(LITE, "create temp trigger if not exists x before delete on t begin select 1; end;"
                 " select 2;",
           W("create temp trigger if not exists x before delete on t begin select 1; end",
             "select 2"));
    /* without a body-capable CREATE, BEGIN is a plain statement */
    expect(LITE, "BEGIN TRANSACTION;\nCREATE TABLE x (a);\nEND;\nBEGIN;\nCOMMIT;",
           W("BEGIN TRANSACTION", "CREATE TABLE x (a)", "END", "BEGIN", "COMMIT"));
    /* [brackets] and `backticks` */
    expect(LITE, "SELECT [a;b], `c;``d` FROM t; SELECT 2",
           W("SELECT [a;b], `c;``d` FROM t", "SELECT 2"));
    expect_error(LITE, "SELECT 1;\nSELECT [abc;", 1, "m.sql:2:", "unterminated bracket");
    expect_error(LITE, "SELECT `abc;", 1, "m.sql:1:", "unterminated backtick");
    /* brackets are not quotes in postgres */
    expect(PG, "SELECT a[1]; SELECT b[2]", W("SELECT a[1]", "SELECT b[2]"));
}

static void test_mysql_procedures(void **st)
{
    (void)st;
    const char *proc =
        "CREATE DEFINER=`root`@`localhost` PROCEDURE p(IN x INT)\n"
        "BEGIN\n"
        "  DECLARE i INT DEFAULT 0;\n"
        "  WHILE i < x DO SET i = i + 1; END WHILE;\n"
        "  IF x > 1 THEN SELECT 'a;'; ELSE SELECT 'b'; END IF;\n"
        "  CASE x WHEN 1 THEN SELECT 1; ELSE BEGIN SELECT 2; END; END CASE;\n"
        "  lbl: LOOP LEAVE lbl; END LOOP lbl;\n"
        "  REPEAT SET i = i - 1; UNTIL i = 0 END REPEAT;\n"
        "  SELECT CASE WHEN x THEN 1 ELSE 2 END, t.end FROM t;\n"
        "END;\n"
        "SELECT 3;";
    res r;
    run(&r, MY, proc, 1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.l.n, 2);
    assert_int_equal(strncmp(r.l.v[0].sql, "CREATE DEFINER", 14), 0);
    assert_int_equal(strcmp(r.l.v[0].sql + r.l.v[0].len - 4, "\nEND"), 0);
    assert_string_equal(r.l.v[1].sql, "SELECT 3");
    assert_int_equal(r.l.v[1].line, 11);
    done(&r);

    expect(MY, "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; END; SELECT 1;",
           W("CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; END", "SELECT 1"));
    expect(MY, "create function f() returns int deterministic begin return 1; end; select 1",
           W("create function f() returns int deterministic begin return 1; end", "select 1"));
    /* a routine without a body ends at ; */
    expect(MY, "CREATE FUNCTION f() RETURNS INT RETURN 1; SELECT 1",
           W("CREATE FUNCTION f() RETURNS INT RETURN 1", "SELECT 1"));
    /* column names that look like keywords do not open a body */
    expect(MY, "CREATE TABLE t (event int, `begin` int, begin_at int); SELECT 1",
           W("CREATE TABLE t (event int, `begin` int, begin_at int)", "SELECT 1"));
    /* plain transactions */
    expect(MY, "START TRANSACTION;\nBEGIN;\nCOMMIT;", W("START TRANSACTION", "BEGIN", "COMMIT"));
    /* MariaDB anonymous block */
    expect(MY, "BEGIN NOT ATOMIC SELECT 1; SELECT 2; END; SELECT 3",
           W("BEGIN NOT ATOMIC SELECT 1; SELECT 2; END", "SELECT 3"));
    /* trigger with CASE ... END inside the body */
    expect(MY,
           "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = CASE WHEN 1 "
           "THEN 2 END; END;\nSELECT 1;",
           W("CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = CASE WHEN 1 "
             "THEN 2 END; END",
             "SELECT 1"));
}

static void test_mysql_delimiter(void **st)
{
    (void)st;
    const char *in = "DELIMITER //\n"
                     "CREATE PROCEDURE p()\n"
                     "BEGIN\n"
                     "  IF 1 THEN SELECT 1; END IF;\n"
                     "END //\n"
                     "delimiter ;\n"
                     "SELECT 2;\n"
                     "DELIMITER $$\n"
                     "CREATE FUNCTION f() RETURNS INT BEGIN RETURN 1; END$$\n"
                     "SELECT 3$$\n"
                     "DELIMITER ;\n";
    res r;
    run(&r, MY, in, 1);
    if (r.rc)
        fail_msg("%s", dm_err_msg(&r.err));
    assert_int_equal(r.l.n, 4);
    assert_string_equal(r.l.v[0].sql,
                        "CREATE PROCEDURE p()\nBEGIN\n  IF 1 THEN SELECT 1; END IF;\nEND");
    assert_int_equal(r.l.v[0].line, 2);
    assert_string_equal(r.l.v[1].sql, "SELECT 2");
    assert_int_equal(r.l.v[1].line, 7);
    assert_string_equal(r.l.v[2].sql, "CREATE FUNCTION f() RETURNS INT BEGIN RETURN 1; END");
    assert_string_equal(r.l.v[3].sql, "SELECT 3");
    done(&r);
    /* a delimiter inside a string does not count */
    expect(MY, "DELIMITER //\nSELECT '//'; SELECT 2//", W("SELECT '//'; SELECT 2"));
    /* ... nor inside a comment */
    expect(MY, "DELIMITER //\nSELECT 1 -- see http://x\n# a // b\n, 2//",
           W("SELECT 1 -- see http://x\n# a // b\n, 2"));
    expect_error(MY, "SELECT 1;\nDELIMITER\n", 1, "m.sql:2:", "DELIMITER needs a value");
    /* an empty quoted delimiter (found by fuzz_split: it looped forever) */
    expect_error(MY, "SELECT 1;\nDELIMITER ``\nSELECT 2;", 1, "m.sql:2:", "DELIMITER needs a value");
    expect_error(MY, "DELIMITER ''\n", 1, "m.sql:1:", "is empty");
    /* DELIMITER is a MySQL client command only */
    expect(PG, "DELIMITER //\nSELECT 1;", W("DELIMITER //\nSELECT 1"));
}

static void test_mysql_lexing(void **st)
{
    (void)st;
    expect(MY, "SELECT 1; # comment; with semicolon\nSELECT 2;", W("SELECT 1", "SELECT 2"));
    expect(MY, "SELECT 'a\\';b', \"x\\\";y\"; SELECT 2;",
           W("SELECT 'a\\';b', \"x\\\";y\"", "SELECT 2"));
    expect(MY, "SELECT `a;b`, `c``;d` FROM t; SELECT 2", W("SELECT `a;b`, `c``;d` FROM t",
                                                           "SELECT 2"));
    /* "--" needs a blank after it in MySQL */
    expect(MY, "SELECT 1--1;\nSELECT 2; -- c;\n", W("SELECT 1--1", "SELECT 2"));
    /* # is not a comment elsewhere */
    expect(PG, "SELECT 1 # 2;", W("SELECT 1 # 2"));
    /* an executable comment is a statement in MySQL */
    expect(MY, "/*!40101 SET NAMES utf8 */;\n/* plain */;", W("/*!40101 SET NAMES utf8 */"));
    expect_error(MY, "SELECT 1;\n\nSELECT 'abc\\';", 1, "m.sql:3:", "unterminated string");
    expect_error(MY, "SELECT \"abc", 1, "m.sql:1:", "unterminated quoted identifier");
}

static void test_pg_begin_atomic_and_parens(void **st)
{
    (void)st;
    expect(PG,
           "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql\n"
           "BEGIN ATOMIC\n"
           "  SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;\n"
           "  SELECT 2;\n"
           "END;\n"
           "BEGIN;\n"
           "SELECT 3;\n"
           "COMMIT;",
           W("CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql\n"
             "BEGIN ATOMIC\n"
             "  SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;\n"
             "  SELECT 2;\n"
             "END",
             "BEGIN", "SELECT 3", "COMMIT"));
    expect(PG,
           "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b "
           "VALUES (2)); SELECT ')';",
           W("CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b "
             "VALUES (2))",
             "SELECT ')'"));
    /* postgres has no BEGIN ... END trigger bodies */
    expect(PG, "CREATE TRIGGER t BEFORE INSERT ON x EXECUTE FUNCTION f(); BEGIN; END;",
           W("CREATE TRIGGER t BEFORE INSERT ON x EXECUTE FUNCTION f()", "BEGIN", "END"));
}

/* Found by the cross-check against PostgreSQL's own scanner and grammar
 * (libpg_query: tests/fuzz/fuzz_pgsplit.c, test_pg_cross_check_* below):
 * where dm_split cut a PostgreSQL text elsewhere than PostgreSQL does. */
static void test_pg_scanner_agreement(void **st)
{
    (void)st;
    /* a -- comment ends at a carriage return too (scan.l: non_newline is
     * [^\n\r]); it swallowed the next statement, which was never run */
    expect(PG, "SELECT 1 -- x\r; SELECT 2", W("SELECT 1 -- x", "SELECT 2"));
    expect(PG, "-- header\rCREATE TABLE t (id int);", W("CREATE TABLE t (id int)"));
    expect(PG, "SELECT 1; -- a\r\n-- b\rSELECT 2;\r\n", W("SELECT 1", "SELECT 2"));
    /* (the other dialects' own scanners end it at a newline only) */
    expect(GEN, "SELECT 1 -- x\r; SELECT 2", W("SELECT 1 -- x\r; SELECT 2"));
    expect(MY, "SELECT 1 # x\r; SELECT 2", W("SELECT 1 # x\r; SELECT 2"));
    /* a number (or the number of $1) ends before a `$`, which may open a
     * dollar quote: 1$a$ is not one word */
    expect(PG, "SELECT 1$a$;$a$; SELECT 2", W("SELECT 1$a$;$a$", "SELECT 2"));
    expect(PG, "SELECT $1$a$;$a$; SELECT 2.5$b$;$b$",
           W("SELECT $1$a$;$a$", "SELECT 2.5$b$;$b$"));
    expect(PG, "SELECT x1$a$; SELECT 2", W("SELECT x1$a$", "SELECT 2")); /* identifier */
    /* BEGIN ATOMIC opens a body only in CREATE [OR REPLACE] FUNCTION or
     * PROCEDURE, the statements whose grammar has one (as in psql) */
    expect(PG, "CREATE VIEW v AS SELECT begin atomic FROM t; SELECT 1;",
           W("CREATE VIEW v AS SELECT begin atomic FROM t", "SELECT 1"));
    expect(PG,
           "CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); "
           "END; CALL p()",
           W("CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES "
             "(1); END",
             "CALL p()"));
}

static void test_escape_hatch(void **st)
{
    (void)st;
    static const int all[] = {GEN, PG, MY, LITE};
    for (size_t d = 0; d < 4; d++) {
        res r;
        run(&r, all[d],
            "SELECT 1;\n"
            "SELECT 'unfinished' -- no semicolon\n"
            "  --   dbmig:statement   begin  \n"
            "\n"
            "CREATE weird $$ thing ' with; odd \" quotes;\n"
            "END;\n"
            "-- dbmig:statement end\n"
            "SELECT 2;\n",
            1);
        if (r.rc)
            fail_msg("%s", dm_err_msg(&r.err));
        assert_int_equal(r.l.n, 4);
        assert_string_equal(r.l.v[1].sql, "SELECT 'unfinished' -- no semicolon");
        assert_string_equal(r.l.v[2].sql, "CREATE weird $$ thing ' with; odd \" quotes;\nEND;");
        assert_int_equal(r.l.v[2].line, 5);
        assert_string_equal(r.l.v[3].sql, "SELECT 2");
        assert_int_equal(r.l.v[3].line, 8);
        done(&r);
        expect_error(all[d], "SELECT 1;\n-- dbmig:statement begin\nSELECT 'x;\n", 20,
                     "m.sql:21:", "unterminated -- dbmig:statement begin");
        expect_error(all[d], "SELECT 1;\n-- dbmig:statement end\n", 1, "m.sql:2:",
                     "without a matching");
    }
    /* the marker is only a marker on a line of its own */
    expect(PG, "SELECT 1 -- dbmig:statement begin\n;", W("SELECT 1 -- dbmig:statement begin"));
}

static void test_unterminated_lines(void **st)
{
    (void)st;
    expect_error(GEN, "SELECT 1;\n\nSELECT 'abc\n;\n", 1, "m.sql:3:", "unterminated string");
    expect_error(PG, "SELECT 1;\n\nSELECT 'abc\n;\n", 7, "m.sql:9:", "starting here");
    expect_error(LITE, "SELECT \"abc;\n", 1, "m.sql:1:", "unterminated quoted identifier");
    expect_error(PG, "\n\n\nSELECT E'\\'", 1, "m.sql:4:", "escape string");
}

static void test_list_untouched_on_error(void **st)
{
    (void)st;
    dm_stmt_list l = {0};
    dm_err err = {0};
    assert_int_equal(dm_split("SELECT 1;", 9, PG, 1, "a.sql", &l, &err), 0);
    assert_int_equal(l.n, 1);
    assert_int_equal(dm_split("SELECT 2; SELECT '", 18, PG, 1, "b.sql", &l, &err),
                     DBMIG_EINVALID);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0].sql, "SELECT 1");
    assert_non_null(strstr(dm_err_msg(&err), "b.sql:1:"));
    dm_stmt_list_free(&l);
    assert_null(l.v);
    dm_err_free(&err);
}

/* Inputs whose tokens, markers and lookbehinds straddle chunk boundaries;
 * run() splits each one in every chunking and compares with the one-shot
 * result, in every dialect. */
static void test_chunked_nasty(void **st)
{
    (void)st;
    static const char *const inputs[] = {
        "SELECT 1; -- dbmig:statement end\nSELECT 2;\n",
        "SELECT 1; -- dbmig:statement begin\nSELECT 2;\n",
        "SELECT 1;\n   \t-- dbmig:statement begin\nA; B;\n  -- dbmig:statement end  \nSELECT 3;",
        "SELECT 1\n-- dbmig:statement begin\nX;\n-- dbmig:statement end\n",
        "-- dbmig:statement begin\nX;\n-- dbmig:statement ends\nY;\n-- dbmig:statement end",
        "-- dbmig:statement begin\nX;\n",
        "x\n-- dbmig:statement end\n",
        "SELECT 'it''s;' || 'a''''b' AS \"q\"\"x;\"; SELECT '';''",
        "SELECT 'abc'';'\n;\nSELECT 'x'",
        "SELECT $$a;b$$; SELECT $tag$ $$; $ta $tag$; SELECT $1; SELECT a$b$c; SELECT $ $;",
        "SELECT E'\\';' , e'x\\\\'; SELECT E'a''b;'; SELECT E'",
        "/* a; /* b; */ c; */ SELECT 1; /*/ x; */ SELECT 2;",
        "/*! SET x=1 */; /*M!100000 SET y=2 */; /* plain */ SELECT 1;",
        "SELECT 1 --x;\nSELECT 2 -- y;\n; # z;\nSELECT 3;",
        "DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END//\nDELIMITER ;\nSELECT 2;",
        "DELIMITER $$\nCREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN\n  IF 1 THEN SET "
        "@a = 1; END IF; END$$\nDELIMITER ;\nSELECT `a;b`, \"c\\\";\", 'd\\';';",
        "DELIMITER\nSELECT 1;",
        "DELIMITER 'xyz'\nSELECT 1xyz SELECT 2 xyz\nDELIMITER ;\nSELECT 3;",
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE x SET a = new.end, b = t.begin;\n"
        "  SELECT CASE WHEN 1 THEN 2 END;\nEND;\nSELECT [a;b], `c;d`;",
        "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; "
        "SELECT 2; END; CREATE RULE r AS ON INSERT TO t DO (INSERT INTO a VALUES (1); "
        "INSERT INTO b VALUES (2)); SELECT 3;",
        "BEGIN NOT ATOMIC SELECT 1; END; BEGIN; SELECT 2; COMMIT;",
        "SELECT 1;\r\n-- c\r\nSELECT\r\n  2;\r\n\r\n",
        "\n\n\n   \n-- only a comment\n/* and another */\n",
        "SELECT 'x\n\n\ny';\n\n\nSELECT 2;\nSELECT \"unterminated",
        "SELECT 1; SELECT `unterminated",
        "SELECT [unterminated",
        "SELECT 1; /* unterminated",
        "SELECT $body$ unterminated $bod",
        "SELECT 1;;;  ;\n;SELECT 2",
        "CREATE DEFINER = `a`@`b` PROCEDURE p() BEGIN CASE x WHEN 1 THEN BEGIN END; END "
        "CASE; LOOP LEAVE; END LOOP; END; SELECT 2;",
        "SELECT x.y.z, a . begin FROM t; CREATE TEMP TRIGGER q BEFORE DELETE ON t BEGIN "
        "SELECT 1; END; SELECT 'é;ü', \"ß;\";",
    };
    static const int all[] = {GEN, PG, MY, LITE};
    for (size_t k = 0; k < sizeof inputs / sizeof inputs[0]; k++)
        for (size_t d = 0; d < 4; d++) {
            res r;
            run(&r, all[d], inputs[k], 1 + (int)k);
            done(&r);
        }
    /* the lookbehind across a dropped prefix decides: a plain comment */
    res r;
    run(&r, GEN, inputs[0], 1);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.l.n, 2);
    assert_string_equal(r.l.v[1].sql, "SELECT 2");
    assert_int_equal(r.l.v[1].line, 2);
    done(&r);
}

typedef struct counter {
    size_t n, stop_at;
    long long sum;
    int last_line;
} counter;

static int count_cb(void *payload, const dm_stmt *s)
{
    counter *c = payload;
    c->n++;
    c->sum += (long long)s->len;
    assert_int_equal(strlen(s->sql), s->len);
    assert_true(s->line > c->last_line);
    c->last_line = s->line;
    return c->stop_at && c->n == c->stop_at ? DBMIG_ERROR : 0;
}

/* 20 MB of INSERTs fed in 4 KiB chunks: the splitter never holds more than
 * a statement and a chunk. */
static void test_stream_bounded(void **st)
{
    (void)st;
    dm_splitter *sp = dm_splitter_new(LITE, 1, "big.sql");
    assert_non_null(sp);
    dm_err err = {0};
    counter c = {0};
    char chunk[4096];
    size_t fill = 0, total = 0, max_held = 0, rows = 0;
    long long want_sum = 0;
    char line[128];
    while (total < 20u * 1000 * 1000) {
        int l = snprintf(line, sizeof line,
                         "INSERT INTO t VALUES (%zu, 'row; number %zu', \"x\"\"y\");\n", rows,
                         rows);
        want_sum += l - 2; /* without ";\n" */
        rows++;
        for (int i = 0; i < l; i++) {
            chunk[fill++] = line[i];
            if (fill == sizeof chunk) {
                assert_int_equal(dm_split_feed(sp, chunk, fill, count_cb, &c, &err), 0);
                total += fill;
                fill = 0;
                if (dm_splitter_buffered(sp) > max_held)
                    max_held = dm_splitter_buffered(sp);
            }
        }
    }
    assert_int_equal(dm_split_feed(sp, chunk, fill, count_cb, &c, &err), 0);
    assert_int_equal(dm_split_finish(sp, count_cb, &c, &err), 0);
    assert_int_equal(c.n, rows);
    assert_int_equal(c.sum, want_sum);
    assert_int_equal(c.last_line, (int)rows);
    assert_true(max_held > 0 && max_held <= 4 * sizeof chunk); /* a chunk + a statement */
    dm_splitter_free(sp);

    /* one statement of 8 MB fed a byte at a time (a cut-off token is rescanned
     * only once the carried bytes have doubled, so this is linear), then
     * small statements: the memory of the big one is given back */
    sp = dm_splitter_new(PG, 1, "one.sql");
    size_t big = 8u << 20;
    char *s = malloc(big + 32);
    assert_non_null(s);
    memcpy(s, "SELECT '", 8);
    memset(s + 8, 'x', big);
    memcpy(s + 8 + big, "';\n", 3);
    memset(&c, 0, sizeof c);
    for (size_t i = 0; i < big + 11; i++)
        assert_int_equal(dm_split_feed(sp, s + i, 1, count_cb, &c, &err), 0);
    assert_true(dm_splitter_buffered(sp) >= big);
    for (size_t i = 0; i < 4096; i++)
        assert_int_equal(dm_split_feed(sp, "SELECT 2;\nSELECT 3;\n", 20, count_cb, &c, &err),
                         0);
    assert_true(c.n >= 1 + 2 * 4000);
    assert_true(dm_splitter_buffered(sp) < ((size_t)1 << 20));
    assert_int_equal(dm_split_finish(sp, count_cb, &c, &err), 0);
    assert_int_equal(c.n, 1 + 2 * 4096);
    assert_int_equal(c.sum, (long long)big + 9 + 2 * 4096 * 8);
    dm_splitter_free(sp);
    free(s);
    dm_err_free(&err);
}

/* A callback's non-zero return stops the split and sticks. */
static void test_stream_callback_stops(void **st)
{
    (void)st;
    dm_splitter *sp = dm_splitter_new(GEN, 10, "s.sql");
    dm_err err = {0};
    counter c = {0};
    c.stop_at = 2;
    const char *text = "SELECT 1;\nSELECT 2;\nSELECT 3;\n";
    assert_int_equal(dm_split_feed(sp, text, strlen(text), count_cb, &c, &err), DBMIG_ERROR);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.last_line, 11);
    assert_int_equal(dm_split_feed(sp, "SELECT 4;", 9, count_cb, &c, &err), DBMIG_ERROR);
    assert_int_equal(dm_split_finish(sp, count_cb, &c, &err), DBMIG_ERROR);
    assert_int_equal(c.n, 2);
    dm_splitter_free(sp);
    /* an error found before the end is returned by the feed that sees it */
    sp = dm_splitter_new(MY, 1, "d.sql");
    memset(&c, 0, sizeof c);
    assert_int_equal(dm_split_feed(sp, "SELECT 1;\nDELIMITER\n", 20, count_cb, &c, &err),
                     DBMIG_EINVALID);
    assert_non_null(strstr(dm_err_msg(&err), "d.sql:2: DELIMITER needs a value"));
    assert_int_equal(c.n, 1);
    dm_splitter_free(sp);
    /* fed after the end: an internal error, not a crash */
    sp = dm_splitter_new(GEN, 1, NULL);
    assert_int_equal(dm_split_finish(sp, count_cb, &c, &err), 0);
    assert_int_equal(dm_split_feed(sp, "x", 1, count_cb, &c, &err), DBMIG_ERROR);
    dm_splitter_free(sp);
    dm_splitter_free(NULL);
    dm_err_free(&err);
}

#ifdef DBMIG_HAVE_PG_QUERY
/* ---- the cross-check against libpg_query (tests/unit/pgsplit_cmp.c) -------
 * The same comparison as tests/fuzz/fuzz_pgsplit.c (which lists the
 * documented exceptions E1-E9), deterministic and in every ctest run: over
 * the tricky snippets below and over the PostgreSQL sections of every .sql
 * file under migrations/, examples/ and tests/. */

typedef struct pgx_tally {
    size_t files, texts, compared, parsed, stmts, skipped, other_dialect;
} pgx_tally;

/* One text must not disagree; returns the verdict. */
static int pgx_one(const char *where, const char *text, pgx_tally *t, pgx_result *r)
{
    pgx_compare(text, r);
    t->texts++;
    if (r->verdict == PGX_DIFFER || r->verdict == PGX_HARNESS)
        fail_msg("%s: %s", where, r->why);
    if (r->verdict == PGX_AGREE) {
        t->compared++;
        t->parsed += (size_t)r->parsed;
        t->stmts += r->nstmts;
    } else {
        t->skipped++;
    }
    return r->verdict;
}

static int ci_contains(const char *s, const char *w)
{
    size_t n = strlen(w);
    for (; *s; s++)
        if (strncasecmp(s, w, n) == 0)
            return 1;
    return 0;
}

/* A file's dialect: a path naming another database (mysql, mariadb,
 * sqlite: tests/fuzz/corpus/split/mysql.sql, tests/hostile/corpus/
 * unterminated_backtick_mysql/...) is that database's; in the others, each
 * section is compared whose marker names postgres or no driver (a generic
 * section must be portable, so PostgreSQL's rules hold there too), and a
 * file that is not a valid migration file is compared whole. */
static void pgx_file(const char *path, const char *rel, pgx_tally *t)
{
    if (ci_contains(rel, "mysql") || ci_contains(rel, "mariadb") || ci_contains(rel, "sqlite")) {
        t->other_dialect++;
        return;
    }
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    dm_buf b = {0};
    char chunk[8192];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
        assert_int_equal(dm_buf_append(&b, chunk, k), 0);
    fclose(f);
    t->files++;
    dm_migfile mf = {0};
    dm_err err = {0};
    pgx_result r;
    char where[2200]; /* rel (a path, < 1024) and an error message */
    if (dm_migfile_parse(rel, b.ptr ? b.ptr : "", b.len, &mf, &err) != 0) {
        snprintf(where, sizeof where, "%s (whole: %s)", rel, dm_err_msg(&err));
        pgx_one(where, b.ptr ? b.ptr : "", t, &r);
    }
    for (size_t i = 0; i < mf.nsections; i++) {
        const dm_section *sec = &mf.sections[i];
        if (sec->driver && strcmp(sec->driver, "postgres") != 0) {
            t->other_dialect++;
            continue;
        }
        char *text = dm_strndup(mf.text + sec->off, sec->len);
        assert_non_null(text);
        snprintf(where, sizeof where, "%s:%d (%s section)", rel, sec->line,
                 dm_section_kind_name(sec->kind));
        pgx_one(where, text, t, &r);
        free(text);
    }
    dm_migfile_free(&mf);
    dm_err_free(&err);
    dm_buf_free(&b);
}

/* Every *.sql file under dir (rel: its path from the source tree). */
static void pgx_walk(const char *dir, const char *rel, int depth, pgx_tally *t)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024], sub[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        snprintf(sub, sizeof sub, "%s/%s", rel, e->d_name);
        struct stat sb;
        if (lstat(path, &sb) != 0)
            continue;
        size_t n = strlen(e->d_name);
        if (S_ISDIR(sb.st_mode) && depth < 8)
            pgx_walk(path, sub, depth + 1, t);
        else if (S_ISREG(sb.st_mode) && n > 4 && strcmp(e->d_name + n - 4, ".sql") == 0)
            pgx_file(path, sub, t);
    }
    closedir(d);
}

static void test_pg_cross_check_files(void **st)
{
    (void)st;
    pgx_tally t = {0};
    static const char *const dirs[] = {"migrations", "examples", "tests"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", DBMIG_SOURCE_DIR, dirs[i]);
        pgx_walk(path, dirs[i], 0, &t);
    }
    print_message("libpg_query cross-check: %zu files, %zu texts: %zu compared (%zu statements, "
                  "%zu also by the parser), %zu skipped (E5/E7), %zu of another dialect\n",
                  t.files, t.texts, t.compared, t.stmts, t.parsed, t.skipped, t.other_dialect);
    /* not vacuous: most of the repository's SQL is compared, much of it parses */
    assert_true(t.files >= 50);
    assert_true(t.compared >= 60);
    assert_true(t.stmts >= 150);
    assert_true(t.parsed >= 40);
}

typedef struct pgx_case {
    const char *sql;
    int verdict;       /* PGX_* */
    size_t n;          /* dbmig's statements (PGX_AGREE) */
    unsigned x;        /* exceptions that must have applied */
    int parsed;        /* 1: PostgreSQL's parser must accept it (and agree) */
} pgx_case;

static const pgx_case pgx_cases[] = {
    /* the brief's list: where the two could differ */
    {"SELECT 1;;SELECT 2", PGX_AGREE, 2, 0, 1},
    {"SELECT 1; SELECT 2 -- no semicolon", PGX_AGREE, 2, 0, 1},
    {"CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN a > 0 "
     "THEN 1 ELSE 0 END;\n  SELECT 2;\nEND;\nSELECT 3;",
     PGX_AGREE, 2, PGX_X_ATOMIC, 1},
    {"CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END; "
     "CALL p();",
     PGX_AGREE, 2, PGX_X_ATOMIC, 1},
    {"CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END; CREATE FUNCTION "
     "g() RETURNS int LANGUAGE sql RETURN 1; SELECT 1",
     PGX_AGREE, 3, PGX_X_ATOMIC, 1},
    {"CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES "
     "(2)); SELECT ')';",
     PGX_AGREE, 2, 0, 1},
    {"CREATE FUNCTION f() RETURNS text AS $body$ SELECT 'a;b'; $x$ ; $body$ LANGUAGE sql; "
     "SELECT $$;$$, $_1$;$_1$, $a1$;$a1$;",
     PGX_AGREE, 2, 0, 1},
    {"DO $$ BEGIN RAISE NOTICE ';'; END $$; SELECT 1", PGX_AGREE, 2, 0, 1},
    {"SELECT E'\\';', 'a\\'; SELECT e'\\\\'; SELECT 3", PGX_AGREE, 3, 0, 1},
    {"SELECT U&'\\0041;' UESCAPE '!', U&\"a;\" FROM t; SELECT U&'d\\0061t;'", PGX_AGREE, 2, 0, 1},
    {"/* a /* nested; */ still a comment; */ SELECT 1; -- c;\nSELECT 2 /* x; */;", PGX_AGREE, 2,
     0, 1},
    {"SELECT 'it''s; fine', \"a \"\"b;\" FROM t; SELECT B'10', X'1F', N'x;';", PGX_AGREE, 2, 0,
     1},
    {"SELECT 'a' -- c;\n 'b;'; SELECT 2", PGX_AGREE, 2, 0, 0},
    {"SELECT 'a'\n 'b;'; SELECT 2", PGX_AGREE, 2, 0, 1},
    /* disagreements the cross-check found, fixed in core/split.c */
    {"SELECT 1 -- x\r; SELECT 2", PGX_AGREE, 2, 0, 1},
    {"-- header\rCREATE TABLE t (id int);", PGX_AGREE, 1, 0, 1},
    {"SELECT 1$a$;$a$; SELECT 2", PGX_AGREE, 2, 0, 0},
    {"SELECT $1$a$;$a$; SELECT 2.5$b$;$b$", PGX_AGREE, 2, 0, 0},
    {"CREATE VIEW v AS SELECT begin atomic FROM t; SELECT 1;", PGX_AGREE, 2, 0, 1},
    {"SELECT 1 \\gset\nSELECT 2;", PGX_AGREE, 1, 0, 0},
    {"PREPARE p(int) AS SELECT $1; SELECT a$b$; SELECT 2", PGX_AGREE, 3, 0, 1},
    /* E1-E3, E6: the reference corrects libpg_query */
    {"foo; SELECT 1; 42;", PGX_AGREE, 3, PGX_X_NOKEYWORD, 0},
    {"SELECT 1); SELECT 2;", PGX_AGREE, 2, PGX_X_PAREN_UNDER, 0},
    {"SELECT 1; SELECT (2;", PGX_AGREE, 2, PGX_X_PAREN_EOF, 0},
    {"SELECT 1 \v; \v; SELECT 2", PGX_AGREE, 2, PGX_X_VTAB, 0},
    /* E5, E7: not compared; an unterminated token must fail on both sides */
    {"SELECT 1;\n-- dbmig:statement begin\nSELECT ';\n-- dbmig:statement end\n", PGX_SKIP_HATCH,
     0, 0, 0},
    {"SELECT 1abc; SELECT 2", PGX_SKIP_PGERROR, 0, 0, 0},
    {"SELECT 'abc", PGX_SKIP_PGERROR, 0, 0, 0},
    {"SELECT 1; /* a /* b */", PGX_SKIP_PGERROR, 0, 0, 0},
    {"SELECT $a$ x $b$;", PGX_SKIP_PGERROR, 0, 0, 0},
};

static void test_pg_cross_check_snippets(void **st)
{
    (void)st;
    pgx_tally t = {0};
    for (size_t i = 0; i < sizeof pgx_cases / sizeof pgx_cases[0]; i++) {
        const pgx_case *c = &pgx_cases[i];
        char where[64];
        snprintf(where, sizeof where, "snippet %zu", i + 1);
        pgx_result r;
        int v = pgx_one(where, c->sql, &t, &r);
        if (v != c->verdict)
            fail_msg("%s: verdict %d, want %d (%s)", where, v, c->verdict, r.why);
        if (v != PGX_AGREE)
            continue;
        if (r.nstmts != c->n)
            fail_msg("%s: %zu statements, want %zu", where, r.nstmts, c->n);
        if ((r.exceptions & c->x) != c->x)
            fail_msg("%s: exceptions %#x, want %#x among them", where, r.exceptions, c->x);
        if (c->parsed && !r.parsed)
            fail_msg("%s: PostgreSQL's parser did not check it", where);
    }
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_and_lines),
        cmocka_unit_test(test_semicolons_in_quotes_everywhere),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_pg_escape_strings),
        cmocka_unit_test(test_pg_dollar_quotes),
        cmocka_unit_test(test_block_comment_nesting),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_sqlite_trigger),
        cmocka_unit_test(test_mysql_procedures),
        cmocka_unit_test(test_mysql_delimiter),
        cmocka_unit_test(test_mysql_lexing),
        cmocka_unit_test(test_pg_begin_atomic_and_parens),
        cmocka_unit_test(test_pg_scanner_agreement),
        cmocka_unit_test(test_escape_hatch),
        cmocka_unit_test(test_unterminated_lines),
        cmocka_unit_test(test_list_untouched_on_error),
        cmocka_unit_test(test_chunked_nasty),
        cmocka_unit_test(test_stream_bounded),
        cmocka_unit_test(test_stream_callback_stops),
#ifdef DBMIG_HAVE_PG_QUERY
        cmocka_unit_test(test_pg_cross_check_snippets),
        cmocka_unit_test(test_pg_cross_check_files),
#endif
    };
#ifdef DBMIG_HAVE_PG_QUERY
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    pgx_done();
    return rc;
#else
    return cmocka_run_group_tests(tests, NULL, NULL);
#endif
}
