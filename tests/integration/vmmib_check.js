// A second SNMP stack's look at the agent's VM-MIB: the npm package
// net-snmp (its own BER codec and MIB parser, nothing shared with
// net-snmp in C) loads RFC 7666's module text from mib/ietf, walks
// vmMIB with GetBulk and checks every varbind against the module: the
// ASN.1 type on the wire, ranges, sizes, enumerations, the index
// sub-identifiers, and UTF-8 in SnmpAdminString.
//
// Usage: node vmmib_check.js NET_SNMP_MODULE_DIR MIB_DIR HOST PORT
// Prints "ok - ..." and "FAIL - ..." lines, then "rows TABLE N" for each
// table and "instances N"; exits 1 when a check failed.
"use strict";

const [moduleDir, mibDir, host, port] = process.argv.slice(2);
const snmp = require(moduleDir);

let fails = 0;
const ok = (what) => console.log("ok - " + what);
const fail = (what) => { fails++; console.log("FAIL - " + what); };

const store = snmp.createModuleStore();
for (const m of ["SNMP-FRAMEWORK-MIB", "UUID-TC-MIB", "IANA-STORAGE-MEDIA-TYPE-MIB",
		 "IANAifType-MIB", "IF-MIB", "VM-MIB"])
	store.loadFromFile(mibDir + "/" + m + ".txt");
const providers = store.getProvidersForModule("VM-MIB");
const vmModule = store.getModule("VM-MIB");
const syntaxOf = (name) => { const s = vmModule[name] && vmModule[name].SYNTAX; return typeof s === "string" ? s : ""; };

// OID (string) -> { name, type, constraints, index: [constraints...] }
const objects = new Map();
const tables = new Map();	// entry OID -> table name
for (const p of providers) {
	if (p.type === snmp.MibProviderType.Scalar) {
		if (p.maxAccess >= 2)	// accessible-for-notify objects are not walked
			objects.set(p.oid, { name: p.name, type: p.scalarType,
					     constraints: p.constraints, scalar: true });
		continue;
	}
	const byName = new Map(p.tableColumns.map((c) => [c.name, c]));
	const index = p.tableIndex.map((i) => {
		const c = byName.get(i.columnName) ||
			  // an index column of another table (vmIndex in vmCpuEntry)
			  providers.flatMap((q) => q.tableColumns || []).find((c2) => c2.name === i.columnName);
		return { name: i.columnName, constraints: c.constraints };
	});
	tables.set(p.oid, { name: p.name, rows: new Set() });
	for (const c of p.tableColumns)
		if (c.maxAccess >= 2)
			objects.set(p.oid + "." + c.number, { name: c.name, type: c.type,
							     constraints: c.constraints, index,
							     table: p.oid });
}

function inRanges(v, ranges) {
	return ranges.some((r) => v >= r.min && v <= r.max);
}

function checkValue(obj, vb, where) {
	const c = obj.constraints;

	if (vb.type !== obj.type) {
		fail(`${where}: type ${snmp.ObjectType[vb.type]}, the MIB says ${snmp.ObjectType[obj.type]}`);
		return;
	}
	if (!c)
		return;
	if (c.enumeration && !(String(vb.value) in c.enumeration))
		fail(`${where}: ${vb.value} is none of ${Object.keys(c.enumeration).join(",")}`);
	if (c.ranges && !inRanges(vb.value, c.ranges))
		fail(`${where}: ${vb.value} out of range`);
	if (c.sizes && !inRanges(vb.value.length, c.sizes))
		fail(`${where}: length ${vb.value.length} out of range`);
}

function checkAdminString(obj, vb, where) {
	// SnmpAdminString is UTF-8 (RFC 3411)
	if (vb.type === snmp.ObjectType.OctetString && syntaxOf(obj.name).startsWith("SnmpAdminString")) {
		try {
			new TextDecoder("utf-8", { fatal: true }).decode(vb.value);
		} catch (e) {
			fail(`${where}: not UTF-8`);
		}
	}
}

const session = snmp.createSession(host, "public", { port: Number(port), version: snmp.Version2c,
					    timeout: 5000, retries: 1 });
let instances = 0;
const seen = new Set();

function feed(varbinds) {
	for (const vb of varbinds) {
		if (snmp.isVarbindError(vb)) {
			fail(`${vb.oid}: ${snmp.varbindError(vb)}`);
			continue;
		}
		instances++;
		let match = null;
		for (const [oid, obj] of objects)
			if (vb.oid.startsWith(oid + ".") && (!match || oid.length > match[0].length))
				match = [oid, obj];
		if (!match) {
			fail(`${vb.oid}: no such object in VM-MIB`);
			continue;
		}
		const [oid, obj] = match;
		const suffix = vb.oid.slice(oid.length + 1).split(".").map(Number);
		const where = `${obj.name}.${suffix.join(".")}`;
		seen.add(obj.name);
		if (obj.scalar) {
			if (suffix.length !== 1 || suffix[0] !== 0)
				fail(`${where}: a scalar's instance is .0`);
		} else {
			if (suffix.length !== obj.index.length)
				fail(`${where}: ${suffix.length} index sub-ids, the MIB has ${obj.index.length}`);
			obj.index.forEach((ix, i) => {
				if (ix.constraints && ix.constraints.ranges && !inRanges(suffix[i], ix.constraints.ranges))
					fail(`${where}: index ${ix.name} = ${suffix[i]} out of range`);
			});
			tables.get(obj.table).rows.add(suffix.join("."));
		}
		checkValue(obj, vb, where);
		checkAdminString(obj, vb, where);
		if (obj.name === "vmUUID" && vb.type === snmp.ObjectType.OctetString && vb.value.length === 16 &&
		    ((vb.value[6] >> 4) < 1 || (vb.value[6] >> 4) > 5))
			fail(`${where}: not an RFC 4122 UUID (version nibble ${vb.value[6] >> 4})`);
	}
}

session.subtree("1.3.6.1.2.1.236", 20, feed, (error) => {
	session.close();
	if (error) {
		fail("walk: " + error.toString());
	} else {
		ok(`walked vmMIB: ${instances} instances`);
		if (fails === 0)
			ok("every value has the type, range, size and enumeration of RFC 7666's module");
	}
	for (const s of ["vmHvSoftware", "vmHvVersion", "vmHvObjectID", "vmHvUpTime", "vmNumber",
			 "vmTableLastChange", "vmPerVMNotificationsEnabled", "vmBulkNotificationsEnabled"])
		if (!seen.has(s))
			fail(`${s} not served`);
	for (const t of tables.values())
		console.log(`rows ${t.name.replace(/Entry$/, "Table")} ${t.rows.size}`);
	console.log(`instances ${instances}`);
	process.exit(fails ? 1 : 0);
});
