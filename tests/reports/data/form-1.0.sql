BEGIN TRANSACTION;
CREATE TABLE adjudication (
	id INTEGER NOT NULL, 
	subject_id INTEGER NOT NULL, 
	read_a_id INTEGER NOT NULL, 
	read_b_id INTEGER NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	triggers JSON NOT NULL, 
	adjudicator_id INTEGER, 
	chosen_read_id INTEGER, 
	rationale TEXT, 
	created_at DATETIME NOT NULL, 
	decided_at DATETIME, 
	CONSTRAINT pk_adjudication PRIMARY KEY (id), 
	CONSTRAINT fk_adjudication_adjudicator_id_reader FOREIGN KEY(adjudicator_id) REFERENCES reader (id), 
	CONSTRAINT fk_adjudication_chosen_read_id_read FOREIGN KEY(chosen_read_id) REFERENCES read (id), 
	CONSTRAINT fk_adjudication_read_a_id_read FOREIGN KEY(read_a_id) REFERENCES read (id), 
	CONSTRAINT fk_adjudication_read_b_id_read FOREIGN KEY(read_b_id) REFERENCES read (id), 
	CONSTRAINT fk_adjudication_subject_id_subject FOREIGN KEY(subject_id) REFERENCES subject (id), 
	CONSTRAINT uq_adjudication_subject_id UNIQUE (subject_id)
);
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO "alembic_version" VALUES('0003');
CREATE TABLE audit_event (
	id INTEGER NOT NULL, 
	at VARCHAR(32) NOT NULL, 
	actor VARCHAR(64) NOT NULL, 
	action VARCHAR(32) NOT NULL, 
	entity VARCHAR(32) NOT NULL, 
	entity_id VARCHAR(64), 
	"before" TEXT, 
	"after" TEXT, 
	reason TEXT, 
	prev_hash VARCHAR(64) NOT NULL, 
	hash VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_audit_event PRIMARY KEY (id)
);
INSERT INTO "audit_event" VALUES(1,'2026-11-27T07:02:36.184322Z','manager','create','trial','1',NULL,'{"paradigm":"local","protocol":"NCT06980259","protocol_sha256":"03db21bbbfbab925adc68c1a72bda34ba79fd31b38c99fc5c5dc40389dadda83"}',NULL,'0000000000000000000000000000000000000000000000000000000000000000','f45e85289752909b5c02b418876a13800bb7efb44443644608d4f9a6c1bae4fc');
INSERT INTO "audit_event" VALUES(2,'2026-11-27T07:02:36.228683Z','manager','create','site','1',NULL,'{"code":"NB07","name":"Northbridge General Hospital"}',NULL,'f45e85289752909b5c02b418876a13800bb7efb44443644608d4f9a6c1bae4fc','a55da584efed9a3920b4f2899c2c7604e0dbe816e1e41ec1783e08708e43e4ed');
INSERT INTO "audit_event" VALUES(3,'2026-11-27T07:02:36.279083Z','manager','create','subject','1',NULL,'{"arm":"SFRT","identity_sha256":"fe44a8cccd89edae70b54c5e58399979bd7d8b12643a8396ad62d089a781b692","pseudonym":"S-0107","rt_end_date":"2025-12-20","rt_start_date":null,"site":"NB07"}',NULL,'a55da584efed9a3920b4f2899c2c7604e0dbe816e1e41ec1783e08708e43e4ed','3c51c763e6c05dde9f7d10b4be5e0628627c226883e3940267b534a2c55198bb');
INSERT INTO "audit_event" VALUES(4,'2026-11-27T07:02:36.313334Z','manager','update','subject_identity','1','{"identity_sha256":"fe44a8cccd89edae70b54c5e58399979bd7d8b12643a8396ad62d089a781b692"}','{"identity_sha256":"cff89a6019062e6f7adcefc282c598a81f60da1f3edb9ded1ea19972277c5712"}',NULL,'3c51c763e6c05dde9f7d10b4be5e0628627c226883e3940267b534a2c55198bb','fa69b1c01f96fd3daa7ada68b713988eaec6b76562a2142fd2b9d85ad9426642');
INSERT INTO "audit_event" VALUES(5,'2026-11-27T07:02:36.360186Z','manager','create','imaging_study','1',NULL,'{"assignment":"auto","modality":"CT","subject":"S-0107","timepoint":"baseline"}',NULL,'fa69b1c01f96fd3daa7ada68b713988eaec6b76562a2142fd2b9d85ad9426642','2df1cef9e59f6485f55a17c06f992b9c8e8a10d26c60e32736991b25ae07dd06');
INSERT INTO "audit_event" VALUES(6,'2026-11-27T07:02:36.384135Z','manager','create','imaging_study','2',NULL,'{"assignment":"auto","modality":"CT","subject":"S-0107","timepoint":"3m"}',NULL,'2df1cef9e59f6485f55a17c06f992b9c8e8a10d26c60e32736991b25ae07dd06','79ed208be6b0fb9ddbeae34ea6969e13011aec330cdde3109d51fd0687c49c7d');
INSERT INTO "audit_event" VALUES(7,'2026-11-27T07:02:37.049282Z','manager','create','reader','1',NULL,'{"role":"reader","username":"reader1"}',NULL,'79ed208be6b0fb9ddbeae34ea6969e13011aec330cdde3109d51fd0687c49c7d','146a32c29b9f3b0b06f896b3aa6d25011f79d1264a7659bcaf28137bcf2228c6');
INSERT INTO "audit_event" VALUES(8,'2026-11-27T07:02:37.672453Z','reader1','create','read','1',NULL,'{"kind":"local","subject":"S-0107"}',NULL,'146a32c29b9f3b0b06f896b3aa6d25011f79d1264a7659bcaf28137bcf2228c6','5c7fd75ec15132f4e7f22e18c88b05d34bcd9a17e44a28c202414eb7fa860195');
INSERT INTO "audit_event" VALUES(9,'2026-11-27T07:02:37.744001Z','reader1','create','timepoint','1',NULL,'{"label":"baseline","read":1}',NULL,'5c7fd75ec15132f4e7f22e18c88b05d34bcd9a17e44a28c202414eb7fa860195','fb409f9566c517cc25621cf1df4fc5082c32f84cc5df80231db5f894a83eaa2e');
INSERT INTO "audit_event" VALUES(10,'2026-11-27T07:02:37.804919Z','reader1','create','lesion','1',NULL,'{"code":"T1","label":"baseline","nodal":false,"organ":"thigh","read":1,"role":"target"}',NULL,'fb409f9566c517cc25621cf1df4fc5082c32f84cc5df80231db5f894a83eaa2e','7d144265e9483eb7354957ad20d9499750bf15123821ffb1a65aa67978f77551');
INSERT INTO "audit_event" VALUES(11,'2026-11-27T07:02:37.857049Z','reader1','create','lesion','2',NULL,'{"code":"NT1","label":"baseline","nodal":true,"organ":"inguinal lymph node","read":1,"role":"non-target"}',NULL,'7d144265e9483eb7354957ad20d9499750bf15123821ffb1a65aa67978f77551','2567a17ee46197d9acb22208e05a1879b93dd55c625e959e000499c027fae8cc');
INSERT INTO "audit_event" VALUES(12,'2026-11-27T07:02:37.904986Z','reader1','create','measurement','1',NULL,'{"diameter_mm":80.0,"fragments_mm":null,"label":"baseline","lesion":"T1","mean_hu":52.0,"objects":[{"end":[80.0,0.0,-40.0],"frame_number":null,"kind":"line","length_mm":80.0,"series_uid":"1.2.826.0.1.3680043.10.1001.1.7.0","sop_instance_uid":"1.2.826.0.1.3680043.10.1001.1.7","start":[0.0,0.0,-40.0]}],"read":1,"short_axis_mm":40.0,"status":"measured","unit":"HU","volume_ml":null}',NULL,'2567a17ee46197d9acb22208e05a1879b93dd55c625e959e000499c027fae8cc','6a65f8162d2a953474da0d4a356e3a05ea2852adc4a2f4f074c0054bd30c939c');
INSERT INTO "audit_event" VALUES(13,'2026-11-27T07:02:37.945293Z','reader1','update','timepoint','1','{"non_targets":{}}','{"non_targets":{"NT1":"present"}}',NULL,'6a65f8162d2a953474da0d4a356e3a05ea2852adc4a2f4f074c0054bd30c939c','ecb940233deba2cf8d4950bdd1526cc3d85079b0216dbc598917077b98a7f085');
INSERT INTO "audit_event" VALUES(14,'2026-11-27T07:02:37.986992Z','reader1','update','timepoint','1','{"comment":null,"new_lesions":"no","nodules":false}','{"comment":"baseline: margins well defined, no new lesion","new_lesions":"no","nodules":false}',NULL,'ecb940233deba2cf8d4950bdd1526cc3d85079b0216dbc598917077b98a7f085','e354b5c1dadcad3d7667e3eda47c0709a9ad53b1c7f09c43cd07e6210d46d542');
INSERT INTO "audit_event" VALUES(15,'2026-11-27T07:02:38.608930Z','reader1','sign','timepoint','1','{"status":"draft"}','{"label":"baseline","meaning":"I confirm this assessment","sha256":"57e89791afc47016237aac5b052e1f2f43aee5602adbe99ba8e7439a613b9b5b","status":"signed","version":1}',NULL,'e354b5c1dadcad3d7667e3eda47c0709a9ad53b1c7f09c43cd07e6210d46d542','45ce234b3952e89e5cc2348f5496204cc5f683a3c9430711d72352ffefcdaec5');
INSERT INTO "audit_event" VALUES(16,'2026-11-27T07:02:38.643616Z','reader1','create','timepoint','2',NULL,'{"label":"3m","read":1}',NULL,'45ce234b3952e89e5cc2348f5496204cc5f683a3c9430711d72352ffefcdaec5','5ee684608e2c576d9996426c802664349a32e8765ba99d7fde6a3207f68d77f9');
INSERT INTO "audit_event" VALUES(17,'2026-11-27T07:02:38.686919Z','reader1','create','measurement','2',NULL,'{"diameter_mm":62.0,"fragments_mm":null,"label":"3m","lesion":"T1","mean_hu":30.5,"objects":[{"end":[62.0,0.0,-40.0],"frame_number":null,"kind":"line","length_mm":62.0,"series_uid":"1.2.826.0.1.3680043.10.1001.2.7.0","sop_instance_uid":"1.2.826.0.1.3680043.10.1001.2.7","start":[0.0,0.0,-40.0]}],"read":1,"short_axis_mm":31.0,"status":"measured","unit":"HU","volume_ml":null}',NULL,'5ee684608e2c576d9996426c802664349a32e8765ba99d7fde6a3207f68d77f9','aaed5826b0e46d5cc5b8ae68cd4c37d746015ac0ac780ac9fc2fedff670d0f93');
INSERT INTO "audit_event" VALUES(18,'2026-11-27T07:02:38.726933Z','reader1','update','timepoint','2','{"non_targets":{}}','{"non_targets":{"NT1":"present"}}',NULL,'aaed5826b0e46d5cc5b8ae68cd4c37d746015ac0ac780ac9fc2fedff670d0f93','55539e1256cb7e472030c8a0634aba3c060b44de9c59ba6e457674ab4141dce6');
INSERT INTO "audit_event" VALUES(19,'2026-11-27T07:02:38.761991Z','reader1','update','timepoint','2','{"comment":null,"new_lesions":"no","nodules":false}','{"comment":"3m: margins well defined, no new lesion","new_lesions":"no","nodules":false}',NULL,'55539e1256cb7e472030c8a0634aba3c060b44de9c59ba6e457674ab4141dce6','8798fd62d19ec267735684fd4b805ee680fa7013f30e1c418d225e6930236a9a');
INSERT INTO "audit_event" VALUES(20,'2026-11-27T07:02:39.376543Z','reader1','sign','timepoint','2','{"status":"draft"}','{"label":"3m","meaning":"I confirm this assessment","sha256":"ae6efdd155fdec492a7258704c85eec4fea37aac0067d7eb6878a1c33d39258f","status":"signed","version":1}',NULL,'8798fd62d19ec267735684fd4b805ee680fa7013f30e1c418d225e6930236a9a','613eec6a3fba53554381238f5c25298ad5f42a6ee180ce15b4cd733bee49079d');
INSERT INTO "audit_event" VALUES(21,'2026-11-27T07:02:40.502129Z','reader1','export','exported_document','1',NULL,'{"kind":"response-form-pdf","read":1,"sha256":"34174bd841bc67ad1de92abc5663249456f421f40ab7239a522e73522249b2d9","timepoint":"3m"}',NULL,'613eec6a3fba53554381238f5c25298ad5f42a6ee180ce15b4cd733bee49079d','ab47809d647a616422c869e8dca190feade3621b3aeff3e7530d536a9ef09301');
INSERT INTO "audit_event" VALUES(22,'2026-11-27T07:02:44.172528Z','reader1','export','exported_document','2',NULL,'{"kind":"subject-summary-pdf","read":1,"sha256":"d7d2f319593a62d584162684c8544195be645b7aee18db2c5458e0749462c9d0","timepoint":null}',NULL,'ab47809d647a616422c869e8dca190feade3621b3aeff3e7530d536a9ef09301','3ce35c6ae9205fe5419ffe6ff746630827d07ce41c211b2189d24e53efe197bb');
CREATE TABLE audit_head (
	id INTEGER NOT NULL, 
	last_id INTEGER NOT NULL, 
	last_hash VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_audit_head PRIMARY KEY (id)
);
INSERT INTO "audit_head" VALUES(1,22,'3ce35c6ae9205fe5419ffe6ff746630827d07ce41c211b2189d24e53efe197bb');
CREATE TABLE exported_document (
	id INTEGER NOT NULL, 
	read_id INTEGER NOT NULL, 
	assessment_id INTEGER, 
	kind VARCHAR(32) NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	created_by INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_exported_document PRIMARY KEY (id), 
	CONSTRAINT fk_exported_document_assessment_id_timepoint_assessment FOREIGN KEY(assessment_id) REFERENCES timepoint_assessment (id), 
	CONSTRAINT fk_exported_document_created_by_reader FOREIGN KEY(created_by) REFERENCES reader (id), 
	CONSTRAINT fk_exported_document_read_id_read FOREIGN KEY(read_id) REFERENCES read (id)
);
INSERT INTO "exported_document" VALUES(1,1,2,'response-form-pdf','34174bd841bc67ad1de92abc5663249456f421f40ab7239a522e73522249b2d9',1,'2026-11-27 07:02:40.480965');
INSERT INTO "exported_document" VALUES(2,1,NULL,'subject-summary-pdf','d7d2f319593a62d584162684c8544195be645b7aee18db2c5458e0749462c9d0',1,'2026-11-27 07:02:44.171356');
CREATE TABLE imaging_study (
	id INTEGER NOT NULL, 
	subject_id INTEGER NOT NULL, 
	study_instance_uid VARCHAR(64) NOT NULL, 
	study_date DATE, 
	modality VARCHAR(16), 
	contrast BOOLEAN, 
	slice_thickness_mm FLOAT, 
	accession_number VARCHAR(64), 
	institution VARCHAR(256), 
	description VARCHAR(256), 
	source_path TEXT, 
	deidentified_path TEXT, 
	series_count INTEGER NOT NULL, 
	instance_count INTEGER NOT NULL, 
	burned_in_annotation BOOLEAN NOT NULL, 
	timepoint_label VARCHAR(32), 
	assignment VARCHAR(16), 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_imaging_study PRIMARY KEY (id), 
	CONSTRAINT fk_imaging_study_subject_id_subject FOREIGN KEY(subject_id) REFERENCES subject (id), 
	CONSTRAINT uq_imaging_study_subject_id UNIQUE (subject_id, study_instance_uid)
);
INSERT INTO "imaging_study" VALUES(1,1,'1.2.826.0.1.3680043.10.1001.1','2025-11-03','CT',1,3.0,'ACC17731','NGH Imaging',NULL,NULL,NULL,0,0,0,'baseline','auto','2026-11-27 07:02:36.348351');
INSERT INTO "imaging_study" VALUES(2,1,'1.2.826.0.1.3680043.10.1001.2','2026-03-24','CT',1,3.0,'ACC27731','NGH Imaging',NULL,NULL,NULL,0,0,0,'3m','auto','2026-11-27 07:02:36.382488');
CREATE TABLE lesion (
	id INTEGER NOT NULL, 
	read_id INTEGER NOT NULL, 
	code VARCHAR(16) NOT NULL, 
	role VARCHAR(16) NOT NULL, 
	organ VARCHAR(64) NOT NULL, 
	nodal BOOLEAN NOT NULL, 
	first_label VARCHAR(32) NOT NULL, 
	description TEXT, 
	CONSTRAINT pk_lesion PRIMARY KEY (id), 
	CONSTRAINT fk_lesion_read_id_read FOREIGN KEY(read_id) REFERENCES read (id), 
	CONSTRAINT uq_lesion_read_id UNIQUE (read_id, code)
);
INSERT INTO "lesion" VALUES(1,1,'T1','target','thigh',0,'baseline','irradiated sarcoma');
INSERT INTO "lesion" VALUES(2,1,'NT1','non-target','inguinal lymph node',1,'baseline',NULL);
CREATE TABLE measurement (
	id INTEGER NOT NULL, 
	assessment_id INTEGER NOT NULL, 
	lesion_id INTEGER NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	diameter_mm FLOAT, 
	short_axis_mm FLOAT, 
	mean_hu FLOAT, 
	volume_ml FLOAT, 
	unit VARCHAR(16), 
	fragments_mm JSON, 
	objects JSON NOT NULL, 
	updated_at DATETIME NOT NULL, 
	CONSTRAINT pk_measurement PRIMARY KEY (id), 
	CONSTRAINT fk_measurement_assessment_id_timepoint_assessment FOREIGN KEY(assessment_id) REFERENCES timepoint_assessment (id), 
	CONSTRAINT fk_measurement_lesion_id_lesion FOREIGN KEY(lesion_id) REFERENCES lesion (id), 
	CONSTRAINT uq_measurement_assessment_id UNIQUE (assessment_id, lesion_id)
);
INSERT INTO "measurement" VALUES(1,1,1,'measured',80.0,40.0,52.0,NULL,'HU','null','[{"kind": "line", "start": [0.0, 0.0, -40.0], "end": [80.0, 0.0, -40.0], "length_mm": 80.0, "series_uid": "1.2.826.0.1.3680043.10.1001.1.7.0", "sop_instance_uid": "1.2.826.0.1.3680043.10.1001.1.7", "frame_number": null}]','2026-11-27 07:02:37.895706');
INSERT INTO "measurement" VALUES(2,2,1,'measured',62.0,31.0,30.5,NULL,'HU','null','[{"kind": "line", "start": [0.0, 0.0, -40.0], "end": [62.0, 0.0, -40.0], "length_mm": 62.0, "series_uid": "1.2.826.0.1.3680043.10.1001.2.7.0", "sop_instance_uid": "1.2.826.0.1.3680043.10.1001.2.7", "frame_number": null}]','2026-11-27 07:02:38.685636');
CREATE TABLE read (
	id INTEGER NOT NULL, 
	subject_id INTEGER NOT NULL, 
	reader_id INTEGER NOT NULL, 
	kind VARCHAR(16) NOT NULL, 
	results JSON, 
	engine_version VARCHAR(64), 
	computed_at DATETIME, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_read PRIMARY KEY (id), 
	CONSTRAINT fk_read_reader_id_reader FOREIGN KEY(reader_id) REFERENCES reader (id), 
	CONSTRAINT fk_read_subject_id_subject FOREIGN KEY(subject_id) REFERENCES subject (id), 
	CONSTRAINT uq_read_subject_id UNIQUE (subject_id, reader_id)
);
INSERT INTO "read" VALUES(1,1,1,'local','{"recist1.1": {"best_overall_response": "SD", "progression_day": null, "reasons": ["best response SD: SD at 3m (day 141) is at least 42 days after baseline"]}, "choi": {"best_overall_response": "PR", "progression_day": null, "reasons": ["best response PR at 3m (day 141) (randomised: no confirmation needed)"]}}','sfrt-criteria 1.0','2026-11-27 07:02:39.359781','2026-11-27 07:02:37.664363');
CREATE TABLE reader (
	id INTEGER NOT NULL, 
	username VARCHAR(64) NOT NULL, 
	full_name VARCHAR(200) NOT NULL, 
	role VARCHAR(16) NOT NULL, 
	password_hash VARCHAR(256) NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_reader PRIMARY KEY (id), 
	CONSTRAINT uq_reader_username UNIQUE (username)
);
INSERT INTO "reader" VALUES(1,'reader1','Dr Reader One','reader','$argon2id$v=19$m=65536,t=3,p=4$rrmmcMlcnHf64z0FYweHYg$yhRfjEm+ljEFwRpc85hI/qYlwa3BJEfWdKl9Smwayfg','2026-11-27 07:02:37.045939');
CREATE TABLE registration (
	id INTEGER NOT NULL, 
	read_id INTEGER NOT NULL, 
	fixed_series_uid VARCHAR(64) NOT NULL, 
	moving_series_uid VARCHAR(64) NOT NULL, 
	options_key VARCHAR(64) NOT NULL, 
	document JSON NOT NULL, 
	verdict VARCHAR(16) NOT NULL, 
	metric_value FLOAT, 
	created_by INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	rejected BOOLEAN NOT NULL, 
	rejected_reason TEXT, 
	rejected_by INTEGER, 
	rejected_at DATETIME, 
	CONSTRAINT pk_registration PRIMARY KEY (id), 
	CONSTRAINT fk_registration_created_by_reader FOREIGN KEY(created_by) REFERENCES reader (id), 
	CONSTRAINT fk_registration_read_id_read FOREIGN KEY(read_id) REFERENCES read (id), 
	CONSTRAINT fk_registration_rejected_by_reader FOREIGN KEY(rejected_by) REFERENCES reader (id), 
	CONSTRAINT uq_registration_read_id UNIQUE (read_id, fixed_series_uid, moving_series_uid, options_key)
);
CREATE TABLE signature (
	id INTEGER NOT NULL, 
	assessment_id INTEGER NOT NULL, 
	reader_id INTEGER NOT NULL, 
	meaning VARCHAR(200) NOT NULL, 
	signed_at DATETIME NOT NULL, 
	content_hash VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_signature PRIMARY KEY (id), 
	CONSTRAINT fk_signature_assessment_id_timepoint_assessment FOREIGN KEY(assessment_id) REFERENCES timepoint_assessment (id), 
	CONSTRAINT fk_signature_reader_id_reader FOREIGN KEY(reader_id) REFERENCES reader (id), 
	CONSTRAINT uq_signature_assessment_id UNIQUE (assessment_id)
);
INSERT INTO "signature" VALUES(1,1,1,'I confirm this assessment','2026-11-27 07:02:38.599121','57e89791afc47016237aac5b052e1f2f43aee5602adbe99ba8e7439a613b9b5b');
INSERT INTO "signature" VALUES(2,2,1,'I confirm this assessment','2026-11-27 07:02:39.374712','ae6efdd155fdec492a7258704c85eec4fea37aac0067d7eb6878a1c33d39258f');
CREATE TABLE site (
	id INTEGER NOT NULL, 
	trial_id INTEGER NOT NULL, 
	code VARCHAR(32) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	CONSTRAINT pk_site PRIMARY KEY (id), 
	CONSTRAINT fk_site_trial_id_trial FOREIGN KEY(trial_id) REFERENCES trial (id), 
	CONSTRAINT uq_site_trial_id UNIQUE (trial_id, code)
);
INSERT INTO "site" VALUES(1,1,'NB07','Northbridge General Hospital');
CREATE TABLE subject (
	id INTEGER NOT NULL, 
	trial_id INTEGER NOT NULL, 
	site_id INTEGER NOT NULL, 
	pseudonym VARCHAR(64) NOT NULL, 
	arm VARCHAR(32), 
	rt_start_date DATE, 
	rt_end_date DATE NOT NULL, 
	uid_secret VARCHAR(64) NOT NULL, 
	date_shift_days INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_subject PRIMARY KEY (id), 
	CONSTRAINT fk_subject_site_id_site FOREIGN KEY(site_id) REFERENCES site (id), 
	CONSTRAINT fk_subject_trial_id_trial FOREIGN KEY(trial_id) REFERENCES trial (id), 
	CONSTRAINT uq_subject_trial_id UNIQUE (trial_id, pseudonym)
);
INSERT INTO "subject" VALUES(1,1,1,'S-0107','SFRT',NULL,'2025-12-20','353643e262766da137ef426fa1d7ec1a',-475,'2026-11-27 07:02:36.257442');
CREATE TABLE subject_identity (
	subject_id INTEGER NOT NULL, 
	patient_id VARCHAR(128), 
	patient_name VARCHAR(256), 
	birth_date DATE, 
	CONSTRAINT pk_subject_identity PRIMARY KEY (subject_id), 
	CONSTRAINT fk_subject_identity_subject_id_subject FOREIGN KEY(subject_id) REFERENCES subject (id)
);
INSERT INTO "subject_identity" VALUES(1,'PAT-884213','DOE^JOHN','1961-07-04');
CREATE TABLE timepoint_assessment (
	id INTEGER NOT NULL, 
	read_id INTEGER NOT NULL, 
	label VARCHAR(32) NOT NULL, 
	version INTEGER NOT NULL, 
	study_id INTEGER NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	non_targets JSON NOT NULL, 
	new_lesions VARCHAR(16) NOT NULL, 
	new_intratumoral_nodules BOOLEAN NOT NULL, 
	comment TEXT, 
	results JSON, 
	problems JSON, 
	engine_version VARCHAR(64), 
	computed_at DATETIME, 
	amendment_reason TEXT, 
	supersedes_id INTEGER, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_timepoint_assessment PRIMARY KEY (id), 
	CONSTRAINT fk_timepoint_assessment_read_id_read FOREIGN KEY(read_id) REFERENCES read (id), 
	CONSTRAINT fk_timepoint_assessment_study_id_imaging_study FOREIGN KEY(study_id) REFERENCES imaging_study (id), 
	CONSTRAINT fk_timepoint_assessment_supersedes_id_timepoint_assessment FOREIGN KEY(supersedes_id) REFERENCES timepoint_assessment (id), 
	CONSTRAINT uq_timepoint_assessment_read_id UNIQUE (read_id, label, version)
);
INSERT INTO "timepoint_assessment" VALUES(1,1,'baseline',1,1,'signed','{"NT1": "present"}','no',0,'baseline: margins well defined, no new lesion','{"recist1.1": {"label": "baseline", "day": 0, "sum_mm": 80.0, "nadir_mm": null, "change_from_baseline_pct": null, "change_from_nadir_pct": null, "density_hu": null, "density_change_pct": null, "density_evaluable": null, "target": null, "non_target": null, "new_lesions": "no", "overall": null, "reasons": ["baseline: sum of diameters 80.0 mm: T1 80.0 mm"]}, "choi": {"label": "baseline", "day": 0, "sum_mm": 80.0, "nadir_mm": null, "change_from_baseline_pct": null, "change_from_nadir_pct": null, "density_hu": 52.0, "density_change_pct": null, "density_evaluable": true, "target": null, "non_target": null, "new_lesions": "no", "overall": null, "reasons": ["baseline: sum of diameters 80.0 mm: T1 80.0 mm", "baseline density 52.0 HU (mean of the per-lesion mean HU of T1)"]}}','[]','sfrt-criteria 1.0','2026-11-27 07:02:38.583539',NULL,NULL,'2026-11-27 07:02:37.727116');
INSERT INTO "timepoint_assessment" VALUES(2,1,'3m',1,2,'signed','{"NT1": "present"}','no',0,'3m: margins well defined, no new lesion','{"recist1.1": {"label": "3m", "day": 141, "sum_mm": 62.0, "nadir_mm": 80.0, "change_from_baseline_pct": -22.5, "change_from_nadir_pct": -22.5, "density_hu": null, "density_change_pct": null, "density_evaluable": null, "target": "SD", "non_target": "NON_CR_NON_PD", "new_lesions": "no", "overall": "SD", "reasons": ["sum of diameters 62.0 mm: T1 62.0 mm", "sum 62.0 mm is 22.5% below the baseline 80.0 mm (PR needs 30%) and not above the nadir 80.0 mm (baseline) (PD needs 20% and 5 mm): SD", "non-target: NT1 still present: non-CR/non-PD", "no new lesion", "overall SD (target SD, non-target non-CR/non-PD, new lesions no; table 1)"]}, "choi": {"label": "3m", "day": 141, "sum_mm": 62.0, "nadir_mm": 80.0, "change_from_baseline_pct": -22.5, "change_from_nadir_pct": -22.5, "density_hu": 30.5, "density_change_pct": -41.3, "density_evaluable": true, "target": "PR", "non_target": "NON_CR_NON_PD", "new_lesions": "no", "overall": "PR", "reasons": ["sum of diameters 62.0 mm: T1 62.0 mm", "density 30.5 HU is 41.3% below the baseline 52.0 HU (mean of the per-lesion mean HU of T1): PR by density (at least 15%)", "size 62.0 mm is 22.5% below the baseline 80.0 mm; size at least 10% smaller and density at least 15% lower: PR", "non-target: NT1 still present: non-CR/non-PD", "no new lesion", "overall PR (target PR, non-target non-CR/non-PD, new lesions no; table 1)"]}}','[]','sfrt-criteria 1.0','2026-11-27 07:02:39.359781',NULL,NULL,'2026-11-27 07:02:38.637365');
CREATE TABLE trial (
	id INTEGER NOT NULL, 
	protocol_id VARCHAR(64) NOT NULL, 
	protocol_toml TEXT NOT NULL, 
	paradigm VARCHAR(16) NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_trial PRIMARY KEY (id)
);
INSERT INTO "trial" VALUES(1,'NCT06980259','# Reading protocol of NCT06980259: spatially fractionated versus conventional radiotherapy in soft-tissue sarcoma.
# Days are calendar days; months are calendar months counted from the last day of radiotherapy (RT end).

[trial]
id = "NCT06980259"
title = "Spatially Fractionated Radiotherapy versus Conventional Radiotherapy in the Treatment of Soft Tissue Sarcoma"
arms = ["SFRT", "CRT"]

[baseline]
label = "baseline"
# Baseline imaging is taken before the first fraction, at most this many days before RT start.
max_days_before_rt_start = 42
# When a subject''s RT start date is not recorded, the start is taken as at most this many days before RT end
# (20 fractions of CRT plus the SFRT boosts fit in five weeks).
max_course_days = 35

# Efficacy evaluations (primary endpoint: ORR of the target lesion at 3, 6, 9 and 12 months after RT).
[[timepoints]]
label = "3m"
months_after_rt_end = 3
window_days = 21
primary = true

[[timepoints]]
label = "6m"
months_after_rt_end = 6
window_days = 21
primary = true

[[timepoints]]
label = "9m"
months_after_rt_end = 9
window_days = 21
primary = true

[[timepoints]]
label = "12m"
months_after_rt_end = 12
window_days = 21
primary = true

# Later follow-up: every 6 months in year 2, then yearly (year 1 is covered by the evaluations above).
[[follow_up]]
every_months = 6
from_month = 18
to_month = 24
window_days = 42

[[follow_up]]
every_months = 12
from_month = 36
to_month = 120
window_days = 60

[criteria]
assess = ["recist1.1", "choi"]

[criteria.options]
randomized = true
min_sd_days = 42
confirmation_min_days = 28
too_small_mm = 5
irradiated_target_measurable = true
choi_size_reference = "baseline"
choi_density_pooling = "mean_of_lesions"

[reading]
# "local": one unblinded reader per subject at the site; "central": blinded independent central review.
default_paradigm = "local"

[reading.central]
readers_per_subject = 2
adjudication = true
# The adjudicator is called when the two reads differ in any of these, for any criterion listed below.
adjudicate_on = ["best_overall_response", "progression_day"]
adjudicate_criteria = ["recist1.1", "choi"]
','local','2026-11-27 07:02:36.164796');
COMMIT;
