"""Who may do what with collective land and the cooperative. Region is separate: every action also needs
the object inside the caller's region (a village cadre: their village; a township: its villages).

land.parcel.add / change            register parcels, import survey files (village, township, bureau)
land.contractor.add, land.contract.add / change    the contract-rights register (change: correct, terminate)
land.transfer.add / change          record transfers (流转) and end them
land.listing.add / change           list an asset on the exchange, publish, close, contract
land.bidder.add, land.bid.add       register bidders and record their bids (exchange staff)
land.objection.add                  record an objection during a deal's notice
land.cooperative.add / change       set up a village's cooperative
land.member.add                     propose members, record shares, transfers and inheritance
land.member.approve                 the village's approval of a member (村审核)
land.member.confirm                 the township's confirmation (乡镇审核)
land.distribution.add               compute a dividend run
land.distribution.approve           the village's approval of a run
land.distribution.confirm           the township's approval (starts the 公示)
land.distribution.pay               mark a run paid, download the bank's payout file (full accounts)
land.financeentry.add               book income and expenditure with vouchers
land.disclosure.add                 publish a month's or quarter's finances
land.membercode.add                 issue a member a one-time code for their phone page

Staff roles view every land type in their region (core.permissions), except member codes (digests of
one-time codes: nobody lists them). Client roles get nothing. The public reads published listings,
deal notices and 三务公开 pages, files objections during a notice, and a member their own line after identifying (anonymous channel).
"""

from shuxiang.core.choices import Role
from shuxiang.core.permissions import anonymous_grant, default_grant, define, exclude_from_staff_view

define(None, "land.member", "approve", "审批")
define(None, "land.member", "confirm", "乡镇审核")
define(None, "land.distribution", "approve", "审批")
define(None, "land.distribution", "confirm", "乡镇审核")
define(None, "land.distribution", "pay", "发放")

COUNTY = (Role.ADMIN, Role.DISTRICT, Role.DEPARTMENT)
REGISTRARS = (*COUNTY, Role.TOWNSHIP, Role.VILLAGE)

default_grant(REGISTRARS, "land.parcel", ["add", "change"])
default_grant(REGISTRARS, "land.contractor", ["add"])
default_grant(REGISTRARS, "land.contract", ["add", "change"])
default_grant(REGISTRARS, "land.transfer", ["add", "change"])
default_grant(REGISTRARS, "land.listing", ["add"])
# Publishing, closing and contracting happen at the exchange (district centre and township sub-centres).
default_grant((*COUNTY, Role.TOWNSHIP), "land.listing", ["change"])
default_grant((*COUNTY, Role.TOWNSHIP), "land.bidder", ["add"])
default_grant((*COUNTY, Role.TOWNSHIP), "land.bid", ["add"])
default_grant(REGISTRARS, "land.objection", ["add"])
default_grant((*COUNTY, Role.TOWNSHIP), "land.cooperative", ["add", "change"])
default_grant(REGISTRARS, "land.member", ["add"])
default_grant((Role.ADMIN, Role.VILLAGE), "land.member", ["approve"])
default_grant((Role.ADMIN, Role.TOWNSHIP), "land.member", ["confirm"])
default_grant(REGISTRARS, "land.distribution", ["add"])
default_grant((Role.ADMIN, Role.VILLAGE), "land.distribution", ["approve"])
default_grant((Role.ADMIN, Role.TOWNSHIP), "land.distribution", ["confirm", "pay"])
default_grant(REGISTRARS, "land.financeentry", ["add"])
default_grant(REGISTRARS, "land.disclosure", ["add"])
default_grant((Role.ADMIN, Role.TOWNSHIP, Role.VILLAGE), "land.membercode", ["add"])
exclude_from_staff_view("land.membercode")
# Text messages carry one-time codes: shown only on the member page, to those who may issue codes.
exclude_from_staff_view("land.textmessage")

# Without an account: the exchange's public pages and a member's own page after identifying.
anonymous_grant("public", "land.listing.view", "land.member.view", "land.objection.add")
