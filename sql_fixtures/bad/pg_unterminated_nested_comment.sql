SELECT 1;
/* outer
   /* inner */
   the outer comment is still open; SELECT 2;
