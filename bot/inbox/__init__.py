"""The inbox: inbound items are stored before they are acknowledged, then handled from here.

``intake`` is what the adapters call (store, wake); ``worker`` hands stored messages to the
dispatcher in order per chat and reports to the receipts; ``codec`` is the stored form.
"""
