SELECT E'\';', 'a\'; SELECT e'\\';
SELECT U&'\0041;' UESCAPE '!', U&"a;" FROM t;
SELECT 'it''s; fine', "a ""b;" FROM t; SELECT B'10', X'1F', N'x;';
SELECT 'a' -- c;
 'b;';
