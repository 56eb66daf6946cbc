// The ImagePrep layer. See README.md.
