namespace cafelet { int actors_anchor = 0; }
