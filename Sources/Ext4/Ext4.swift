// The Ext4 layer. See README.md.
