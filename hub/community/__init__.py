"""The federation's community on Discord, as the domain sees it: which servers the hub serves
(`servers`), and who is who there (`identity`). No Discord library here: the bots (`bots/`)
are a channel over these services."""
