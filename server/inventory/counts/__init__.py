"""Stock counts: planned, counted bin by bin from several handhelds, reviewed and approved in one posting.

A count's header is a document of type ``stock.count`` on the kernel (number, state, version, store); what
is counted lives in the tables of ``models``. See ``counting`` for the rules of a count.
"""
