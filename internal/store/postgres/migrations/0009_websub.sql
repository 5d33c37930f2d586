-- 0009: placeholder reserved for the websub work; replaced by its DDL.
SELECT 1;
