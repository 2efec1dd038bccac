"""Minutes in, structured documents out. The corpus stage takes the paths a user gives (files, folders, a manifest.csv)
and gives every later stage one `model.Document` per file: its council, meeting and committee metadata with how each
was decided, and its agenda items cut into debate points and actions. discover finds the files in a fixed order;
readers chooses a reader by extension and content (plain text, moderngov and mgpage for ModernGov pages, pdf through
the text layer); meta merges header, manifest and page metadata, and heading reads a meeting's committee and date;
segment, with item_headings, blocks and points, splits a document into items, points and actions; model holds the
shapes they share and the typed errors (InputError, NotMinutes). Harvesting gathers minutes from ModernGov sites:
registry (the shipped register of sites), mgclient (the polite HTTP client), harvest (GetCommittees → GetMeetings →
GetMeeting, cached), printed (the printed-minutes fallback), ledger (what each site holds) and mgmeeting (the reader of
a GetMeeting answer)."""
