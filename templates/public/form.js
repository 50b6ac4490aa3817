(function(){
var f=document.getElementById("f"),b=f.body,key="fb-draft-"+f.dataset.station,
    c=document.getElementById("count"),p=f.photos,note=document.getElementById("photo-note"),
    keep=["body","category","name","phone"],busy=0;
function count(){c.textContent=b.value.trim().length+"/2000 字"}
try{var d=JSON.parse(localStorage.getItem(key)||"{}");
  keep.forEach(function(n){if(d[n]&&!f[n].value)f[n].value=d[n]})}catch(e){}
function save(){var d={};keep.forEach(function(n){d[n]=f[n].value});
  try{localStorage.setItem(key,JSON.stringify(d))}catch(e){}}
f.addEventListener("input",function(){count();save()});
f.addEventListener("change",save);count();
function shrink(file){return new Promise(function(ok){
  if(!/^image\//.test(file.type)||file.size<400000)return ok(file);
  var img=new Image(),url=URL.createObjectURL(file);
  img.onload=function(){var s=Math.min(1,1600/Math.max(img.width,img.height)),
    cv=document.createElement("canvas");cv.width=Math.round(img.width*s);
    cv.height=Math.round(img.height*s);cv.getContext("2d").drawImage(img,0,0,cv.width,cv.height);
    URL.revokeObjectURL(url);cv.toBlob(function(bl){ok(bl&&bl.size<file.size?
      new File([bl],file.name.replace(/\.\w+$/,"")+".jpg",{type:"image/jpeg"}):file)},"image/jpeg",.8)};
  img.onerror=function(){ok(file)};img.src=url})}
p.addEventListener("change",function(){
  if(!window.DataTransfer||!p.files.length)return;
  var files=[].slice.call(p.files,0,3);busy++;
  note.textContent=(p.files.length>3?"最多 3 张,只保留前 3 张。":"")+"正在压缩照片…";
  Promise.all(files.map(shrink)).then(function(out){var dt=new DataTransfer();
    out.forEach(function(x){dt.items.add(x)});p.files=dt.files;busy--;
    note.textContent="已选 "+out.length+" 张照片,共 "+Math.round(out.reduce(function(a,x){return a+x.size},0)/1024)+" KB"})});
f.addEventListener("submit",function(e){if(busy){e.preventDefault();return}
  var s=document.getElementById("send");setTimeout(function(){s.disabled=true;s.textContent="正在提交…"},0)});
})();
