"""Who may do what in traceability. Region is separate: every action also needs the object in scope.

trace.producer.add / change        register producers, let an account record for one
trace.producer.record              record for a producer: its lots, trace events, certificates, soil and
                                   water tests (a producer's recorder: only for the producers it operates)
trace.base.add, trace.plot.add, trace.product.add     a producer's land and products
trace.plot.change                  link a plot's monitoring device
trace.lot.add, trace.traceevent.add, trace.certificate.add, trace.environmenttest.add
                                   the records themselves (checked with the producer's `record`)
trace.lot.change                   clear a counterfeit warning after checking the market
trace.directoryentry.view          the directory of business entities (banks, with a token)
trace.scan.add                     a consumer's scan of a label (anonymous)

Staff roles view every trace type in their region (core.permissions); the directory is a type of its own,
so reading it opens nothing else. Outside clients get exactly what is granted here: the bank the
directory, a producer's recorder its own producer's register, lots and records (web and API).
"""

from shuxiang.core.choices import Role
from shuxiang.core.permissions import anonymous_grant, default_grant, define, exclude_from_staff_view

define(None, "trace.producer", "record", "记录")

# Township and village cadres and the bureaus register producers and their land and record for them;
# grid workers record for them (a lot's events on a farmer's behalf).
MANAGERS = (Role.ADMIN, Role.DISTRICT, Role.DEPARTMENT, Role.TOWNSHIP, Role.VILLAGE)
RECORDERS = (*MANAGERS, Role.GRID)

default_grant(MANAGERS, "trace.producer", ["add", "change"])
default_grant(MANAGERS, "trace.base", ["add"])
default_grant(MANAGERS, "trace.plot", ["add", "change"])
default_grant(MANAGERS, "trace.product", ["add"])
default_grant(MANAGERS, "trace.lot", ["change"])
default_grant(RECORDERS, "trace.producer", ["record"])
default_grant(RECORDERS, "trace.lot", ["add"])
default_grant(RECORDERS, "trace.traceevent", ["add"])
default_grant(RECORDERS, "trace.certificate", ["add"])
default_grant(RECORDERS, "trace.environmenttest", ["add"])

# The directory of business entities (task 13): read by banks with a token, and by district staff.
exclude_from_staff_view("trace.directoryentry")
default_grant((Role.ADMIN, Role.DISTRICT, Role.DEPARTMENT, Role.BANK), "trace.directoryentry", ["view"])

# A producer's recorder (a cooperative's phone): the web UI and its own producers' records, nothing else.
default_grant(Role.PRODUCER, "core.web", ["use"])
default_grant(Role.PRODUCER, "trace.producer", ["view", "record"], {"operators": "$user"})
default_grant(Role.PRODUCER, "trace.base", ["view"], {"producer__operators": "$user"})
default_grant(Role.PRODUCER, "trace.plot", ["view"], {"base__producer__operators": "$user"})
default_grant(Role.PRODUCER, "trace.product", ["view"], {"producer__operators": "$user"})
default_grant(Role.PRODUCER, "trace.lot", ["view", "add"], {"product__producer__operators": "$user"})
for _type in ("trace.traceevent", "trace.certificate"):
    default_grant(Role.PRODUCER, _type, ["view", "add"], {"lot__product__producer__operators": "$user"})
default_grant(
    Role.PRODUCER, "trace.environmenttest", ["view", "add"], {"plot__base__producer__operators": "$user"}
)

# The consumer without an account: reads a lot's public page, is counted when scanning it, and may
# file a food-safety complaint (12315), which the case engine registers.
anonymous_grant("consumer", "trace.lot.view", "trace.scan.add", "cases.case.add")
