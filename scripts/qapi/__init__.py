"""minivm's QAPI schema compiler: schema files in, C code out."""
