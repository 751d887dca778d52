"""Who may do what in markets. Region is separate: every action also needs the object in scope.

markets.priceobservation.add      record prices (collectors: grid workers, village and township staff,
                                  the bureaus; phone, API, XLSX)
markets.product.add/change, markets.collectionpoint.add/change, markets.method.change
                                  the catalogue, the points and the methods' bands (district and bureaus)
markets.warninglevel.add          recompute the warning levels (district and bureaus; the nightly task)
markets.publicpricewarning.add  issue a current alert/crisis level as a public 农产品价格预警 through the
                                  warnings engine (district and bureaus; the engine also asks its own
                                  warnings.warning.add and, for a department, the "warnings" duty)
markets.commercestation.add/change, markets.seller.add
                                  the e-commerce network and its sellers (district, bureaus, townships)
markets.salesreport.add, markets.livesession.add
                                  monthly online sales and live-streaming sessions (also village cadres)
markets.brand.add, markets.brandproducer.add
                                  一镇一品 and regional brands and the producers authorised to use
                                  them (township and up, in their region)
markets.grainbuyer.add, markets.grainpurchase.add/change, markets.grainstock.add
                                  grain buyers, purchases (paid), depots' stock reports (bureaus, townships)
markets.directoryconsent.add/change
                                  record or revoke an entity's consent to the bank directory (staff;
                                  a producer's recorder for its own producer)
markets.directoryclient.view/add/change
                                  a bank's or insurer's field set and rate (administrator)
markets.directorylookup.view      who looked an entity up (staff in region; the entity's own recorder)
markets.insurancepolicy.view/add/change
                                  agricultural insurance policies of the directory's entities: township
                                  staff and up in their region (the bureaus and townships collect the
                                  subsidised policies); not village cadres or grid workers (a policy's
                                  sums are the entity's finances). Insurer clients (role bank with a
                                  DirectoryClient of kind 保险机构) only the policies carrying their own
                                  account — insurancepolicy.add is type-level, the service forces the
                                  insurer to the client's institution.
markets.insurancepolicy.delete    remove a policy entered by mistake (district level)

Staff roles view every markets type in their region by the core staff rule; the bank reads the
directory through trace.directoryentry.view (trace/permissions.py) and nothing here.
"""

from shuxiang.core.choices import Role
from shuxiang.core.permissions import default_grant, exclude_from_staff_view, system_grant

DISTRICT = (Role.ADMIN, Role.DISTRICT, Role.DEPARTMENT)
TOWNSHIP = (*DISTRICT, Role.TOWNSHIP)
VILLAGE = (*TOWNSHIP, Role.VILLAGE)
COLLECTORS = (*VILLAGE, Role.GRID)

# The catalogue and the methods are county-wide reference data every staff role reads.
default_grant(COLLECTORS, "markets.product", ["view"])
default_grant(COLLECTORS, "markets.method", ["view"])
default_grant(DISTRICT, "markets.product", ["add", "change"])
default_grant(DISTRICT, "markets.collectionpoint", ["add", "change"])
default_grant(DISTRICT, "markets.method", ["change"])
default_grant(DISTRICT, "markets.warninglevel", ["add"])
default_grant(COLLECTORS, "markets.priceobservation", ["add"])
default_grant(DISTRICT, "markets.publicpricewarning", ["add"])

default_grant(TOWNSHIP, "markets.commercestation", ["add", "change"])
default_grant(TOWNSHIP, "markets.seller", ["add"])
default_grant(VILLAGE, "markets.salesreport", ["add"])
default_grant(VILLAGE, "markets.livesession", ["add"])

default_grant(TOWNSHIP, "markets.brand", ["add"])
default_grant(TOWNSHIP, "markets.brandproducer", ["add"])
default_grant(TOWNSHIP, "markets.grainbuyer", ["add"])
default_grant(TOWNSHIP, "markets.grainpurchase", ["add", "change"])
default_grant(TOWNSHIP, "markets.grainstock", ["add"])

default_grant(VILLAGE, "markets.directoryconsent", ["add", "change"])
# which fields a bank or insurer reads and how often: the platform administrator's decision
default_grant(Role.ADMIN, "markets.directoryclient", ["view", "add", "change"])
default_grant(
    Role.PRODUCER, "markets.directoryconsent", ["view", "add", "change"], {"producer__operators": "$user"}
)
default_grant(Role.PRODUCER, "markets.directorylookup", ["view"], {"producer__operators": "$user"})

# Insurance policies: not under the blanket staff-view rule (village and grid roles do not read an
# entity's insurance); township and up record and correct them in their region.
exclude_from_staff_view("markets.insurancepolicy")
default_grant(TOWNSHIP, "markets.insurancepolicy", ["view", "export", "add", "change"])
default_grant(DISTRICT, "markets.insurancepolicy", ["delete"])
default_grant(Role.BANK, "markets.insurancepolicy", ["view", "add", "change"], {"insurer_account": "$user"})

# The nightly recomputation runs as the system actor "markets"; grain anomalies open cases as it.
system_grant("markets", "markets.warninglevel.add", "cases.case.add", "cases.case.handle")
