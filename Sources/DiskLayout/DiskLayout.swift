// The DiskLayout layer. See README.md.
