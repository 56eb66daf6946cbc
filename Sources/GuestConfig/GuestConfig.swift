// The GuestConfig layer. See README.md.
