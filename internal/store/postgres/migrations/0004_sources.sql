-- 0004: placeholder reserved for the sources work; replaced by its DDL.
SELECT 1;
